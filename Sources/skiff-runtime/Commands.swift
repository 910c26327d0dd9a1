import ArgumentParser
import FoundationEssentials
import Glibc
import SkiffOCI
import SkiffRuntime
import SkiffSeccomp

// runc's commands, flags and exit statuses. Errors are RuntimeError (exit 1).

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a container from a bundle; it waits for start.")
    @ParentCommand var cli: SkiffRuntimeCLI
    @Option(name: [.short, .long], help: "Path to the bundle.") var bundle: String = "."
    @Option(name: .customLong("console-socket"), help: "Unix socket that receives the pty master.") var consoleSocket: String?
    @Option(name: .customLong("pid-file"), help: "Write the container's pid here.") var pidFile: String?
    @Option(name: .customLong("preserve-fds"), help: "Extra fds (from 3) to pass on.") var preserveFDs: Int32 = 0
    @Flag(name: .customLong("no-pivot"), help: "Accepted for runc compatibility.") var noPivot = false
    @Flag(name: .customLong("no-new-keyring"), help: "Accepted for runc compatibility.") var noNewKeyring = false
    @Argument(help: "Container id.") var id: String

    func run() throws {
        try cli.global.runtime.create(
            id: id, options: .init(bundle: bundle, consoleSocket: consoleSocket, pidFile: pidFile, preserveFDs: preserveFDs))
    }
}

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a created container.")
    @ParentCommand var cli: SkiffRuntimeCLI
    @Argument var id: String
    func run() throws { try cli.global.runtime.start(id: id) }
}

struct Run: ParsableCommand, ExitCodeCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Create and start a container; wait for it unless detached.")
    @ParentCommand var cli: SkiffRuntimeCLI
    @Option(name: [.short, .long]) var bundle: String = "."
    @Option(name: .customLong("console-socket")) var consoleSocket: String?
    @Option(name: .customLong("pid-file")) var pidFile: String?
    @Option(name: .customLong("preserve-fds")) var preserveFDs: Int32 = 0
    @Flag(name: [.short, .long], help: "Return once started.") var detach = false
    @Flag(name: .long, help: "Keep the container's state after it exits.") var keep = false
    @Flag(name: .customLong("no-pivot")) var noPivot = false
    @Flag(name: .customLong("no-new-keyring")) var noNewKeyring = false
    @Argument var id: String

    func runWithStatus() throws -> Int32 {
        try cli.global.runtime.run(
            id: id, options: .init(bundle: bundle, consoleSocket: consoleSocket, pidFile: pidFile, preserveFDs: preserveFDs),
            detach: detach, keep: keep)
    }
}

struct State: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "state", abstract: "Print a container's state as JSON.")
    @ParentCommand var cli: SkiffRuntimeCLI
    @Argument var id: String
    func run() throws {
        printJSON(List.Entry(try cli.global.runtime.state(id: id)), pretty: true)
    }
}

struct Kill: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal (default SIGTERM) to a container.")
    @ParentCommand var cli: SkiffRuntimeCLI
    @Flag(name: [.short, .long], help: "Signal every process in the container.") var all = false
    @Argument var id: String
    @Argument var signal: String = "TERM"
    func run() throws {
        guard let number = Signals.parse(signal) else {
            throw RuntimeError(stage: "kill", "invalid signal \"\(signal)\"")
        }
        try cli.global.runtime.kill(id: id, signal: number, all: all)
    }
}

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a container and its resources.")
    @ParentCommand var cli: SkiffRuntimeCLI
    @Flag(name: [.short, .long], help: "Kill a running container first.") var force = false
    @Argument var id: String
    func run() throws { try cli.global.runtime.delete(id: id, force: force) }
}

struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Freeze every process of a container.")
    @ParentCommand var cli: SkiffRuntimeCLI
    @Argument var id: String
    func run() throws { try cli.global.runtime.pause(id: id) }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Thaw a paused container.")
    @ParentCommand var cli: SkiffRuntimeCLI
    @Argument var id: String
    func run() throws { try cli.global.runtime.resume(id: id) }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List containers.")
    @ParentCommand var cli: SkiffRuntimeCLI
    @Option(name: [.short, .long], help: "table or json") var format: String = "table"
    @Flag(name: [.short, .long], help: "Ids only.") var quiet = false

    struct Entry: Encodable {
        var ociVersion: String
        var id: String
        var pid: Int32
        var status: String
        var bundle: String
        var rootfs: String
        var created: String
        var owner: String
        var annotations: [String: String]?

        init(_ status: Runtime.ContainerStatus) {
            ociVersion = status.state.ociVersion
            id = status.state.id
            pid = status.state.pid ?? 0
            self.status = status.state.status.rawValue
            bundle = status.state.bundle
            rootfs = status.rootfs
            created = status.created
            owner = status.owner
            annotations = status.state.annotations
        }
    }

    func run() throws {
        let items = cli.global.runtime.list()
        if quiet {
            for item in items { print(item.state.id) }
            return
        }
        if format == "json" {
            printJSON(items.map(Entry.init), pretty: false)
            return
        }
        var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
        for item in items {
            rows.append([item.state.id, String(item.state.pid ?? 0), item.state.status.rawValue, item.state.bundle, item.created,
                         ownerName(item.owner)])
        }
        printTable(rows)
    }
}

struct PS: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List a container's processes.")
    @ParentCommand var cli: SkiffRuntimeCLI
    @Option(name: [.short, .long], help: "table or json") var format: String = "table"
    @Argument var id: String
    @Argument(parsing: .captureForPassthrough, help: "Options for ps(1).") var psArgs: [String] = []

    func run() throws {
        let pids = try cli.global.runtime.processes(id: id)
        if format == "json" {
            printJSON(pids, pretty: false)
            return
        }
        // Run ps(1) and keep the header and the container's lines.
        let output = try capture("/bin/ps", [psArgs.isEmpty ? "-ef" : psArgs.joined(separator: " ")].flatMap { $0.split(separator: " ").map(String.init) })
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty else { return }
        let header = lines.removeFirst()
        guard let pidColumn = header.split(separator: " ").firstIndex(of: "PID") else {
            throw RuntimeError(stage: "ps", "ps output has no PID column")
        }
        print(header)
        let wanted = Set(pids)
        for line in lines {
            let fields = line.split(separator: " ")
            if fields.count > pidColumn, let pid = Int32(fields[pidColumn]), wanted.contains(pid) { print(line) }
        }
    }
}

struct Spec: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spec", abstract: "Write a default config.json in the bundle.")
    @Option(name: [.short, .long]) var bundle: String = "."
    @Flag(help: "Accepted for runc compatibility.") var rootless = false
    func run() throws {
        let path = bundle + "/config.json"
        if access(path, F_OK) == 0 {
            throw RuntimeError(stage: "spec", "File \(path) exists. Remove it first")
        }
        let data = try jsonEncoder(pretty: true).encode(RuntimeSpec.makeDefault())
        try FileIO.writeAtomic(path, Array(data) + [0x0a])
    }
}

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "features", abstract: "Print what this runtime supports (JSON).")
    func run() throws {
        printJSON(RuntimeFeatures.current(), pretty: true)
    }
}

struct ConvertSeccomp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert-seccomp",
        abstract: "Print a Docker seccomp profile as OCI linux.seccomp JSON for this host.")
    @Option(name: .customLong("cap"), help: "A capability the container has (repeat).") var caps: [String] = []
    @Argument(help: "Docker profile JSON; omit for Docker's default profile.") var profile: String?

    func run() throws {
        let docker: DockerSeccompProfile
        if let profile {
            docker = try DockerSeccompProfile.decode(try FileIO.read(profile))
        } else {
            docker = DockerSeccompProfile.dockerDefault
        }
        let seccomp = try docker.runtimeSeccomp(capabilities: caps, platform: SeccompPlatform.current())
        printJSON(seccomp, pretty: true)
    }
}

import ArgumentParser
import FoundationEssentials
import Glibc
import SkiffOCI
import SkiffRuntime

struct Exec: ParsableCommand, ExitCodeCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Run a process in a running container.")
    @ParentCommand var cli: SkiffRuntimeCLI
    @Option(name: [.short, .long], help: "process.json describing the process.") var process: String?
    @Option(name: .customLong("console-socket")) var consoleSocket: String?
    @Option(name: .customLong("pid-file")) var pidFile: String?
    @Option(name: .long, help: "Working directory.") var cwd: String?
    @Option(name: [.short, .long], help: "KEY=VALUE to add to the environment.") var env: [String] = []
    @Flag(name: [.short, .long], help: "Allocate a pseudo-TTY.") var tty = false
    @Option(name: [.short, .long], help: "UID[:GID].") var user: String?
    @Option(name: [.customShort("g"), .customLong("additional-gids")]) var additionalGids: [UInt32] = []
    @Option(name: [.short, .long], help: "Add a capability.") var cap: [String] = []
    @Flag(name: [.short, .long]) var detach = false
    @Flag(name: .customLong("no-new-privs")) var noNewPrivs = false
    @Option(name: .customLong("preserve-fds")) var preserveFDs: Int32 = 0
    @Option(name: .customLong("process-label")) var processLabel: String?
    @Option(name: .customLong("apparmor")) var apparmor: String?
    @Argument var id: String
    @Argument(parsing: .captureForPassthrough) var command: [String] = []

    func runWithStatus() throws -> Int32 {
        let runtime = cli.global.runtime
        var proc: RuntimeSpec.Process
        if let process {
            do {
                proc = try JSONDecoder().decode(RuntimeSpec.Process.self, from: Data(try FileIO.read(process)))
            } catch let error as RuntimeError {
                throw error
            } catch let error as DecodingError {
                throw RuntimeError(stage: "exec", "\(process): \(SpecError(decoding: error))")
            }
        } else {
            guard !command.isEmpty else { throw RuntimeError(stage: "exec", "exec needs a command or --process") }
            guard var base = try runtime.containerProcess(id: id) else {
                throw RuntimeError(stage: "exec", "container \(id) has no process config")
            }
            base.args = command
            base.terminal = tty
            base.consoleSize = nil
            proc = base
        }
        if let cwd { proc.cwd = cwd }
        proc.env = (proc.env ?? []) + env
        if let user {
            let parts = user.split(separator: ":")
            guard let uid = parts.first.flatMap({ UInt32($0) }) else {
                throw RuntimeError(stage: "exec", "--user: expected UID[:GID], got \"\(user)\"")
            }
            proc.user.uid = uid
            proc.user.gid = parts.count > 1 ? UInt32(parts[1]) ?? 0 : 0
        }
        if !additionalGids.isEmpty { proc.user.additionalGids = additionalGids }
        if !cap.isEmpty {
            var caps = proc.capabilities ?? RuntimeSpec.Capabilities()
            for c in cap {
                let name = c.uppercased().hasPrefix("CAP_") ? c.uppercased() : "CAP_" + c.uppercased()
                caps.bounding = (caps.bounding ?? []) + [name]
                caps.effective = (caps.effective ?? []) + [name]
                caps.permitted = (caps.permitted ?? []) + [name]
            }
            proc.capabilities = caps
        }
        if noNewPrivs { proc.noNewPrivileges = true }
        return try runtime.exec(
            id: id, options: .init(process: proc, consoleSocket: consoleSocket, pidFile: pidFile, detach: detach, preserveFDs: preserveFDs))
    }
}

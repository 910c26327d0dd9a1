// skiff-runtime: an OCI runtime with runc's command line.
import ArgumentParser
import Glibc
import SkiffRuntime

/// Options every command takes, given before the command as with runc.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Root directory for container state.")
    var root: String = "/run/skiff-runtime"

    @Option(help: "Log file for errors (default: stderr only).")
    var log: String?

    @Option(name: .customLong("log-format"), help: "Log format: text or json.")
    var logFormat: String = "text"

    @Flag(help: "Debug logging (accepted for runc compatibility).")
    var debug = false

    @Flag(name: .customLong("systemd-cgroup"), help: "Accepted for runc compatibility; cgroupfs is used.")
    var systemdCgroup = false

    @Option(help: "Accepted for runc compatibility.")
    var criu: String?

    @Option(help: "Accepted for runc compatibility.")
    var rootless: String?

    var runtime: Runtime {
        Log.configure(path: log, format: logFormat)
        return Runtime(root: root)
    }
}

@main
struct SkiffRuntimeCommand {
    static func main() {
        let status = SkiffRuntimeCLI.runMain()
        exit(status)
    }
}

struct SkiffRuntimeCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff-runtime",
        abstract: "skiff's OCI runtime: runs containers from OCI bundles (runc-compatible).",
        version: "skiff-runtime version 0.1.0\nspec: 1.2.0",
        subcommands: [
            Create.self, Start.self, Run.self, State.self, Kill.self, Delete.self, Exec.self, List.self,
            Pause.self, Resume.self, PS.self, Spec.self, Features.self, ConvertSeccomp.self,
        ])

    @OptionGroup var global: GlobalOptions

    /// Parses and runs; errors go to stderr (and --log) as runc prints them.
    static func runMain() -> Int32 {
        do {
            var command = try parseAsRoot()
            if var runner = command as? ExitCodeCommand {
                return try runner.runWithStatus()
            }
            try command.run()
            return 0
        } catch let error as RuntimeError {
            Log.error(error.description)
            return 1
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                return 0
            }
            let text = fullMessage(for: error)
            if !text.isEmpty { Log.error(text) }
            return code.rawValue
        }
    }
}

/// A command whose process exit status is the container's.
protocol ExitCodeCommand {
    mutating func runWithStatus() throws -> Int32
}

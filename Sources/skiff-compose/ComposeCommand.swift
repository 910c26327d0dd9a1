import ArgumentParser
import Foundation
import SkiffCLI
import SkiffCompose

/// `skiff compose`: multi-container applications from a Compose file, through skiffd's API.
struct ComposeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff compose",
        abstract: "Define and run multi-container applications with skiff",
        subcommands: [
            Up.self, Down.self, PS.self, Logs.self, Exec.self, Run.self, Build.self, Pull.self, Push.self,
            Start.self, Stop.self, Restart.self, Remove.self, Kill.self, Pause.self, Unpause.self,
            Config.self, List.self, Top.self, Port.self, Images.self, Version.self, Create.self,
        ])

    @OptionGroup var project: ProjectOptions
}

/// The options every compose command takes: where the project is and which daemon to use.
struct ProjectOptions: ParsableArguments {
    @Option(name: .long, help: .hidden) var host: String?
    @Option(name: [.short, .customLong("file")], help: "Compose configuration files") var file: [String] = []
    @Option(name: [.short, .customLong("project-name")], help: "Project name") var projectName: String?
    @Option(name: .customLong("project-directory"), help: "Specify an alternate working directory (default: the path of the first Compose file)")
    var projectDirectory: String?
    @Option(name: .customLong("env-file"), help: "Specify an alternate environment file") var envFile: [String] = []
    @Option(name: .customLong("profile"), help: "Specify a profile to enable") var profile: [String] = []
    @Option(name: .customLong("ansi"), help: "Control when to print ANSI control characters (\"never\"|\"always\"|\"auto\")") var ansi: String = "auto"
    @Option(name: .customLong("progress"), help: "Set type of progress output (auto, tty, plain, quiet)") var progress: String?
    @Option(name: .customLong("parallel"), help: "Control max parallelism, -1 for unlimited") var parallel: Int = -1

    /// The project as loaded from its files; `services` are enabled whatever their profiles.
    func load(services: [String] = []) throws -> ProjectSpec {
        var options = LoadOptions()
        let env = ProcessInfo.processInfo.environment
        options.files = file
        options.projectName = projectName
        options.projectDirectory = projectDirectory
        options.envFiles = envFile
        options.profiles = profile
        options.environment = env
        options.workingDirectory = FileManager.default.currentDirectoryPath
        options.services = services
        let loaded = try ComposeLoader.load(options)
        return try ProjectSpec(loaded, warn: { Console.warn($0) })
    }

    /// The project's name without reading its files when -p or COMPOSE_PROJECT_NAME gives it
    /// (commands like `down -p NAME` work without a file), else from the files.
    func projectNameOnly() throws -> String {
        if let projectName, !projectName.isEmpty { return projectName }
        if let name = ProcessInfo.processInfo.environment["COMPOSE_PROJECT_NAME"], !name.isEmpty { return name }
        return try load().name
    }

    func daemon() -> DaemonConnection { DaemonConnection(host: host) }

    /// The argv prefix for running one of skiff's own commands in-process.
    var skiffPrefix: [String] { ["skiff"] + (host.map { ["-H", $0] } ?? []) }
}

/// Runs one of skiff's CLI commands in this process (build, pull, push, exec, start -a);
/// a non-zero status ends the compose command with it.
func runSkiff(_ options: ProjectOptions, _ args: [String]) throws {
    let status = SkiffCLI.main(options.skiffPrefix + args)
    if status != 0 { throw ExitCode(status) }
}

import ArgumentParser
import Foundation
import SkiffCLI
import SkiffCompose

/// `skiff compose`: multi-container applications from a Compose file, through skiffd's API.
struct ComposeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff compose",
        abstract: "Define and run multi-container applications with skiff",
        usage: "skiff compose [OPTIONS] COMMAND",
        discussion: """
            Options (before the command):
              -f, --file FILE                 Compose configuration files (several are merged)
              -p, --project-name NAME         Project name
                  --project-directory DIR     The project's directory (default: the first file's)
                  --env-file FILE             Environment files (default: .env in the project directory)
                  --profile PROFILE           Profiles to enable
                  --ansi never|always|auto    Control when to print ANSI control characters
                  --progress auto|tty|plain|quiet
            """,
        subcommands: [
            Up.self, Down.self, PS.self, Logs.self, Exec.self, Run.self, Build.self, Pull.self, Push.self,
            Start.self, Stop.self, Restart.self, Remove.self, Kill.self, Pause.self, Unpause.self,
            Config.self, List.self, Top.self, Port.self, Images.self, Version.self, Create.self,
        ])

}

/// The options before the command (`skiff compose -f a.yaml -p app up`): where the project
/// is and which daemon to use. Parsed by hand before ArgumentParser sees the command, so a
/// command's own `-f` or `-p` (logs --follow, run --publish) never collides with them.
struct ProjectOptions: Sendable {
    var host: String?
    var file: [String] = []
    var projectName: String?
    var projectDirectory: String?
    var envFile: [String] = []
    var profile: [String] = []
    var ansi = "auto"
    var progress: String?

    /// The options and the rest of the command line (the command and its arguments).
    static let parsed: (options: ProjectOptions, rest: [String]) = parse(Array(CommandLine.arguments.dropFirst()))
    static var current: ProjectOptions { parsed.options }

    static func parse(_ args: [String]) -> (ProjectOptions, [String]) {
        var o = ProjectOptions()
        var rest = args[...]
        let valued: [String: WritableKeyPath<ProjectOptions, String?>] = [
            "--host": \.host, "-H": \.host, "-p": \.projectName, "--project-name": \.projectName,
            "--project-directory": \.projectDirectory, "--progress": \.progress,
        ]
        let lists: [String: WritableKeyPath<ProjectOptions, [String]>] = [
            "-f": \.file, "--file": \.file, "--env-file": \.envFile, "--profile": \.profile,
        ]
        while let arg = rest.first, arg.hasPrefix("-"), arg != "-", arg != "--" {
            var name = arg
            var inline: String?
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            } else if !arg.hasPrefix("--"), arg.count > 2 {
                name = String(arg.prefix(2))
                inline = String(arg.dropFirst(2))
            }
            let takesValue = valued[name] != nil || lists[name] != nil || ["--ansi", "--parallel"].contains(name)
            guard takesValue else { break }  // --help, --version and unknown flags: ArgumentParser's
            rest.removeFirst()
            guard let value = inline ?? rest.popFirst() else { break }
            if let k = valued[name] { o[keyPath: k] = value }
            if let k = lists[name] { o[keyPath: k].append(value) }
            if name == "--ansi" { o.ansi = value }
        }
        return (o, Array(rest))
    }

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

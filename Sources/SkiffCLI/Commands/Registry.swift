/// Every command by the names docker gives it: top-level commands and the `container`,
/// `image`, `network`, `system` and `volume` management commands.
enum Registry {
    struct Group: Sendable {
        let name: String
        /// What follows the name in docker's `Use` (" COMMAND" for volume only).
        var usage = ""
        let summary: String
        let commands: [CommandSpec]
    }

    static let topLevel: [CommandSpec] = [
        AttachCommand.spec, BuildCommand.spec, CommitCommand.spec, CopyCommand.spec, CreateCommand.spec, DiffCommand.spec,
        EventsCommand.spec, ExecCommand.spec, ExportCommand.spec, HistoryCommand.spec, ImagesCommand.spec,
        ImportCommand.spec, InfoCommand.spec, InspectCommand.spec, KillCommand.spec, LoadCommand.spec, LogsCommand.spec,
        ListCommand.spec, PortCommand.spec, RenameCommand.spec, StopCommand.restart, named(RemoveCommand.spec, "rm", aliases: []),
        RemoveImageCommand.spec, RunCommand.spec, SaveCommand.spec, StartCommand.spec, StopCommand.stop, TagCommand.spec,
        VersionCommand.spec, WaitCommand.spec, ContainerResourceCommands.pause, ContainerResourceCommands.unpause,
        ContainerResourceCommands.top, ContainerResourceCommands.update, StatsCommand.spec, help,
        PullCommand.spec, PushCommand.spec, LoginCommand.login, LoginCommand.logout,
    ]

    static let groups: [Group] = [
        Group(name: "container", summary: "Manage containers", commands: [
            AttachCommand.spec, CommitCommand.spec, CopyCommand.spec, CreateCommand.spec, DiffCommand.spec, ExecCommand.spec,
            ExportCommand.spec, InspectCommand.container, KillCommand.spec,
            LogsCommand.spec, named(ListCommand.spec, "ls", aliases: ["list", "ps"]), PortCommand.spec, PruneCommand.containers,
            RenameCommand.spec, StopCommand.restart, RemoveCommand.spec, RunCommand.spec, StartCommand.spec, StopCommand.stop,
            WaitCommand.spec, ContainerResourceCommands.pause, ContainerResourceCommands.unpause, ContainerResourceCommands.top,
            ContainerResourceCommands.update, StatsCommand.spec,
        ]),
        Group(name: "image", summary: "Manage images", commands: [
            BuildCommand.spec, HistoryCommand.spec, ImportCommand.spec, InspectCommand.image, LoadCommand.spec,
            named(ImagesCommand.spec, "ls", aliases: ["list"]), PruneCommand.images,
            named(RemoveImageCommand.spec, "rm", aliases: ["remove"]), SaveCommand.spec, TagCommand.spec,
            PullCommand.spec, PushCommand.spec,
        ]),
        Group(name: "network", summary: "Manage networks", commands: [
            NetworkCommand.connect, NetworkCreateCommand.spec, NetworkCommand.disconnect, NetworkCommand.inspect,
            NetworkCommand.list, PruneCommand.networks, NetworkCommand.remove,
        ]),
        Group(name: "system", summary: "Manage skiff", commands: [
            DiskUsageCommand.spec, EventsCommand.spec, InfoCommand.spec, SystemPruneCommand.spec,
        ]),
        Group(name: "registry", summary: "Serve images to docker, podman and skopeo", commands: [RegistryServeCommand.gc, RegistryServeCommand.spec]),
        Group(name: "volume", usage: " COMMAND", summary: "Manage volumes", commands: [
            VolumeCommand.create, VolumeCommand.inspect, VolumeCommand.list, PruneCommand.volumes, VolumeCommand.remove,
        ]),
    ]

    /// The management commands the root help lists: the groups, and `compose` (run by
    /// `skiff-compose`), in name order.
    static var helpGroups: [(String, String)] {
        (groups.map { ($0.name, $0.summary) } + [("compose", "Define and run multi-container applications")]).sorted { $0.0 < $1.0 }
    }

    /// `skiff help [COMMAND...]`.
    static let help = CommandSpec(name: "help", usage: "[command]", summary: "Help about any command", arguments: .any) { inv in
        var args = inv.args[...]
        guard let name = args.popFirst() else {
            Output.write(1, Help.root(commands: topLevel, groups: helpGroups))
            return
        }
        if let group = groups.first(where: { $0.name == name }) {
            if let sub = args.first, let spec = group.commands.first(where: { $0.name == sub || $0.aliases.contains(sub) }) {
                Output.write(1, Help.command(path: "skiff \(name) \(spec.name)", spec: spec))
            } else {
                Output.write(1, Help.group(path: "skiff " + name, summary: group.summary, commands: group.commands))
            }
        } else if let spec = topLevel.first(where: { $0.name == name }) {
            Output.write(1, Help.command(path: "skiff " + name, spec: spec))
        } else {
            throw CLIError("Unknown help topic [`\(name)`]")
        }
    }

    private static func named(_ spec: CommandSpec, _ name: String, aliases: [String]) -> CommandSpec {
        CommandSpec(
            name: name, aliases: aliases, usage: spec.usage, summary: spec.summary, description: spec.description,
            aliasPaths: spec.aliasPaths,
            flags: spec.flags, interspersed: spec.interspersed, shortHelp: spec.shortHelp, arguments: spec.arguments, run: spec.run)
    }
}

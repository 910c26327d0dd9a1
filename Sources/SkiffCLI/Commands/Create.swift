/// `skiff create`: the container is created and its id printed.
enum CreateCommand {
    static let spec = CommandSpec(
        name: "create", usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]", summary: "Create a new container",
        aliasPaths: ["skiff container create", "skiff create"], flags: ContainerOptions.flags,
        interspersed: false, shortHelp: false, arguments: .atLeast(1), run: run)

    static func run(_ inv: Invocation) throws {
        let request: ContainerOptions.Request
        do {
            request = try ContainerOptions.request(inv.flags, environment: Environment.current(), workingDirectory: currentDirectory())
        } catch {
            throw RunCommand.withHelp(error.message, status: 125, command: "create")
        }
        do {
            Output.line(try ContainerCreation.create(inv, request))
        } catch {
            throw CLIError(errorText(error))
        }
    }
}

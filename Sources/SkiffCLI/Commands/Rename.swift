/// `skiff rename OLD NEW`.
enum RenameCommand {
    static let spec = CommandSpec(
        name: "rename", usage: "CONTAINER NEW_NAME", summary: "Rename a container",
        aliasPaths: ["skiff container rename", "skiff rename"], arguments: .exactly(2), run: run)

    static func run(_ inv: Invocation) throws {
        let old = inv.args[0].trimmingSpaces, new = inv.args[1].trimmingSpaces
        if old.isEmpty || new.isEmpty { throw CLIError("Error: Neither old nor new names may be empty") }
        do {
            try inv.client.call("POST", "/containers/\(Query.escapePath(old))/rename", query: ["name": new])
        } catch {
            Output.error(errorText(error))
            throw CLIError("Error: failed to rename container named \(old)")
        }
    }
}

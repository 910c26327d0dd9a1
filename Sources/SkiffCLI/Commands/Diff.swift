/// `skiff diff`: the container's changes to its image's files, one `KIND /path` line each.
enum DiffCommand {
    static let spec = CommandSpec(
        name: "diff", usage: "CONTAINER", summary: "Inspect changes to files or directories on a container's filesystem",
        aliasPaths: ["skiff container diff", "skiff diff"], arguments: .exactly(1), run: run)

    static func run(_ inv: Invocation) throws {
        let name = inv.args[0]
        if name.isEmpty { throw CLIError("Container name cannot be empty") }
        let changes = try inv.client.json("GET", "/containers/\(Query.escapePath(name))/changes")
        var lines = ""
        for change in changes.array ?? [] {
            let kind = switch change["Kind"]?.int {
            case 0: "C"
            case 1: "A"
            case 2: "D"
            default: ""
            }
            lines += "\(kind) \(change["Path"]?.string ?? "")\n"
        }
        Output.write(1, lines)
    }
}

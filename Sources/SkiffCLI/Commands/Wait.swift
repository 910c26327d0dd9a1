/// `skiff wait`: block until containers stop, printing their exit codes.
enum WaitCommand {
    static let spec = CommandSpec(
        name: "wait", usage: "CONTAINER [CONTAINER...]",
        summary: "Block until one or more containers stop, then print their exit codes",
        aliasPaths: ["skiff container wait", "skiff wait"], arguments: .atLeast(1), run: run)

    static func run(_ inv: Invocation) throws {
        let client = try inv.client
        var errors: [String] = []
        for name in inv.args {
            do {
                let answer = try client.json("POST", "/containers/\(Query.escapePath(name))/wait")
                if let message = answer["Error"]?["Message"]?.string, !message.isEmpty {
                    errors.append(message)
                    continue
                }
                Output.line(String(answer["StatusCode"]?.int ?? 0))
            } catch {
                errors.append(errorText(error))
            }
        }
        if !errors.isEmpty { throw CLIError(errors.joined(separator: "\n")) }
    }
}

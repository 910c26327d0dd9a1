/// `skiff tag SOURCE TARGET`: POST /images/{source}/tag with the target's full name and tag.
enum TagCommand {
    static let spec = CommandSpec(
        name: "tag", usage: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
        summary: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
        aliasPaths: ["skiff image tag", "skiff tag"], interspersed: false, arguments: .exactly(2), run: run)

    static func run(_ inv: Invocation) throws {
        let source = inv.args[0], target = inv.args[1]
        if source.isEmpty || (ImageName(source) == nil && !source.allSatisfy({ $0.isHexDigit || $0 == ":" || ("a"..."z").contains($0) })) {
            throw CLIError("Error parsing reference: \(goQuote(source)) is not a valid repository/tag: invalid reference format")
        }
        guard let ref = ImageName(target) else {
            throw CLIError("Error parsing reference: \(goQuote(target)) is not a valid repository/tag: invalid reference format")
        }
        if ref.digest != nil { throw CLIError("refusing to create a tag with a digest reference") }
        try inv.client.call("POST", "/images/\(Query.escapePath(source))/tag", query: ["repo": ref.name, "tag": ref.tag ?? "latest"])
    }
}

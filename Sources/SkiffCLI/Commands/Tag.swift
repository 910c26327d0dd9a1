/// `skiff tag SOURCE TARGET`: POST /images/{source}/tag with the target's full name and tag.
enum TagCommand {
    static let spec = CommandSpec(
        name: "tag", usage: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
        summary: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
        aliasPaths: ["skiff image tag", "skiff tag"], interspersed: false, arguments: .exactly(2), run: run)

    static func run(_ inv: Invocation) throws {
        let source = inv.args[0], target = inv.args[1]
        if ImageName(source) == nil && !isImageID(source) {
            throw CLIError("Error parsing reference: \(goQuote(source)) is not a valid repository/tag: invalid reference format")
        }
        let ref: ImageName
        do { ref = try ImageName.parse(target) } catch {
            throw CLIError("Error parsing reference: \(goQuote(target)) is not a valid repository/tag: \(error.message)")
        }
        if ref.digest != nil { throw CLIError("refusing to create a tag with a digest reference") }
        try inv.client.call("POST", "/images/\(Query.escapePath(source))/tag", query: ["repo": ref.name, "tag": ref.tag ?? "latest"])
    }

    /// An image id, full or short, with or without "sha256:".
    private static func isImageID(_ s: String) -> Bool {
        let hex = s.hasPrefix("sha256:") ? s.dropFirst(7) : Substring(s)
        return !hex.isEmpty && hex.count <= 64 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}

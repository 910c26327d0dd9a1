/// Image references as docker's `reference` package normalises and shortens them:
/// `busybox` is `docker.io/library/busybox`, shown familiar again as `busybox`.
struct ImageName {
    /// `docker.io/library/busybox`.
    let name: String
    let tag: String?
    let digest: String?

    /// Parses like `reference.ParseNormalizedNamed`; nil for what is not a valid name.
    init?(_ text: String) {
        guard let parsed = try? ImageName.parse(text) else { return nil }
        self = parsed
    }

    private init(name: String, tag: String?, digest: String?) {
        self.name = name
        self.tag = tag
        self.digest = digest
    }

    /// `reference.ParseNormalizedNamed`, failing with its wording.
    static func parse(_ text: String) throws(CLIError) -> ImageName {
        let invalid = CLIError("invalid reference format")
        if text.count == 64, text.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            throw CLIError("invalid repository name (\(text)), cannot specify 64-byte hexadecimal strings")
        }
        var rest = Substring(text)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let d = String(rest[rest.index(after: at)...])
            guard d.contains(":") else { throw invalid }
            digest = d
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let t = String(rest[rest.index(after: colon)...])
            guard !t.isEmpty, t.count <= 128, t.allSatisfy({ ($0.isLetter && $0.isASCII) || $0.isASCIIDigit || "_.-".contains($0) }),
                t.first != ".", t.first != "-"
            else { throw invalid }
            tag = t
            rest = rest[..<colon]
        }
        guard !rest.isEmpty else { throw invalid }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var domain = "docker.io"
        if components.count > 1, let first = components.first,
            first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first
        {
            domain = first
            components.removeFirst()
        }
        if domain == "index.docker.io" { domain = "docker.io" }
        if domain == "docker.io" && components.count == 1 { components.insert("library", at: 0) }
        let remainder = components.joined(separator: "/")
        if remainder.lowercased() != remainder {
            throw CLIError("invalid reference format: repository name (\(remainder)) must be lowercase")
        }
        for c in components {
            guard let first = c.first, first.isLetter || first.isASCIIDigit,
                c.allSatisfy({ ("a"..."z").contains($0) || $0.isASCIIDigit || "._-".contains($0) })
            else { throw invalid }
        }
        return ImageName(name: domain + "/" + remainder, tag: tag, digest: digest)
    }

    /// `reference.FamiliarName`: without `docker.io/` and `library/`.
    var familiarName: String {
        var n = name
        if n.hasPrefix("docker.io/") {
            n.removeFirst("docker.io/".count)
            if n.hasPrefix("library/"), !n.dropFirst(8).contains("/") { n.removeFirst(8) }
        }
        return n
    }

    /// The familiar name with its tag, or `:latest` when it has neither tag nor digest
    /// (what `docker run busybox` asks for).
    var familiarWithDefaultTag: String {
        if let tag { return familiarName + ":" + tag }
        if let digest { return familiarName + "@" + digest }
        return familiarName + ":latest"
    }
}

/// stringid.TruncateID: the id after any "algo:" prefix, cut to 12 characters.
func truncateID(_ id: String) -> String {
    var s = Substring(id)
    if let colon = s.firstIndex(of: ":") { s = s[s.index(after: colon)...] }
    return String(s.prefix(12))
}

/// formatter.Ellipsis: cut to `maxWidth` display columns, ending in "…".
func ellipsis(_ s: String, _ maxWidth: Int) -> String {
    if maxWidth <= 0 { return "" }
    let scalars = Array(s.unicodeScalars)
    if maxWidth == 1 { return scalars.first.map { String($0) } ?? "" }
    var widths: [Int] = []
    var total = 0
    for sc in scalars {
        total += scalarWidth(sc)
        widths.append(total)
    }
    if total <= maxWidth { return s }
    var out = String.UnicodeScalarView()
    for (i, sc) in scalars.enumerated() where widths[i] <= maxWidth - 1 {
        out.append(sc)
    }
    return String(out) + "…"
}

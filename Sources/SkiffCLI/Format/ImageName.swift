/// Image references as docker's `reference` package normalises and shortens them:
/// `busybox` is `docker.io/library/busybox`, shown familiar again as `busybox`.
struct ImageName {
    /// `docker.io/library/busybox`.
    let name: String
    let tag: String?
    let digest: String?

    /// Parses like `reference.ParseNormalizedNamed`; nil for what is not a valid name
    /// (a bare image id, upper case).
    init?(_ text: String) {
        var rest = Substring(text)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            digest = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
            guard let d = digest, d.contains(":") else { return nil }
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
            guard let t = tag, !t.isEmpty, t.count <= 128,
                t.allSatisfy({ $0.isLetter && $0.isASCII || $0.isASCIIDigit || "_.-".contains($0) }), t.first != ".", t.first != "-"
            else { return nil }
        }
        guard !rest.isEmpty else { return nil }
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
        for c in components {
            guard !c.isEmpty, c.allSatisfy({ ("a"..."z").contains($0) || $0.isASCIIDigit || "._-".contains($0) }),
                c.first!.isLetter || c.first!.isASCIIDigit
            else { return nil }
        }
        let path = components.joined(separator: "/")
        // A bare 64-hex name is an image id, not a repository.
        if domain == "docker.io" && path.hasPrefix("library/") && path.count == 72 && tag == nil && digest == nil,
            path.dropFirst(8).allSatisfy(\.isHexDigit)
        {
            return nil
        }
        self.name = domain + "/" + path
        self.tag = tag
        self.digest = digest
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

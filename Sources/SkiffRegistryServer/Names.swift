import SkiffOCI

/// The distribution spec's rules for what appears in a URL: repository
/// names, tags and digests.
public enum RegistryNames {
    /// The longest repository name accepted (distribution's limit).
    public static let maxNameLength = 255

    /// Whether `name` matches the spec's
    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`
    /// and is at most 255 characters.
    public static func isValidRepository(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maxNameLength else { return false }
        return name.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).allSatisfy(isComponent)
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isComponent(_ bytes: Substring.UTF8View.SubSequence) -> Bool {
        var separator: [UInt8] = []
        var sawAlnum = false
        for byte in bytes {
            if (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) {
                if !separator.isEmpty {
                    guard sawAlnum, isSeparator(separator) else { return false }
                    separator.removeAll()
                }
                sawAlnum = true
            } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") {
                separator.append(byte)
            } else {
                return false
            }
        }
        return sawAlnum && separator.isEmpty
    }

    /// `.`, `_`, `__` or one or more `-`.
    private static func isSeparator(_ s: [UInt8]) -> Bool {
        if s == [UInt8(ascii: ".")] || s == [UInt8(ascii: "_")] || s == [UInt8(ascii: "_"), UInt8(ascii: "_")] { return true }
        return s.allSatisfy { $0 == UInt8(ascii: "-") }
    }

    /// Whether `tag` matches `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
    public static func isValidTag(_ tag: String) -> Bool { ImageReference.isValidTag(tag) }

    /// A digest from a URL or a query; nil unless it is valid.
    public static func digest(_ text: String) -> Digest? { try? Digest(text) }
}

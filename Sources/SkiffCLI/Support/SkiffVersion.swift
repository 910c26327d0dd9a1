/// skiff's own version, shown by `skiff --version` and `skiff version`.
public enum SkiffVersion {
    public static let version = "0.1.0"
}

extension String {
    /// A NUL-terminated C buffer's text.
    init(cChars buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

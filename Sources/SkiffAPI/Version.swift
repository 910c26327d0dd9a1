/// skiff's own version, as /version and the Server header report it.
public enum SkiffVersion {
    public static let version = "0.1.0"
    public static let gitCommit = "skiff"
    /// The Go version field dockerd fills; skiff reports its Swift.
    public static let languageVersion = "swift6.3"
}

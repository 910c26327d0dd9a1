// OCI runtime-spec 1.2, runtime.md#state. Schema: oci-runtime-schema/state-schema.json

/// What `state` prints for a container.
public struct RuntimeState: Codable, Sendable, Equatable {
    public var ociVersion: String
    public var id: String
    public var status: Status
    public var pid: Int32?
    public var bundle: String
    public var annotations: [String: String]?

    public init(id: String, status: Status, pid: Int32?, bundle: String, annotations: [String: String]? = nil) {
        self.ociVersion = RuntimeSpec.version
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.annotations = annotations
    }

    /// runtime.md#state: `paused` is runc's extension, used by pause/resume.
    public enum Status: String, Codable, Sendable {
        case creating, created, running, stopped, paused
    }
}

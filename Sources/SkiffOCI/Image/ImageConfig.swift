// OCI image-spec v1.1, config.md, with Docker's extensions (moby/docker-image-spec:
// Healthcheck, OnBuild, Shell), which `application/vnd.docker.container.image.v1+json`
// configs carry.
// https://github.com/opencontainers/image-spec/blob/v1.1.1/config.md
// Schema: shared/reference/oci-image-schema/config-schema.json
//
// `created` stays a string: RFC 3339 with nanoseconds, kept exactly as written.
// An image's id is the digest of its config's bytes: keep the bytes that were
// read, never re-encode a config to identify it.

/// The image config (config.md#properties): platform, defaults for running a
/// container, the layers' DiffIDs and the build history.
public struct ImageConfig: Codable, Sendable, Equatable {
    /// `created`, OPTIONAL: RFC 3339 date-time.
    public var created: String?
    /// `author`, OPTIONAL.
    public var author: String?
    /// `architecture`, REQUIRED: a GOARCH value.
    public var architecture: String
    /// `os`, REQUIRED: a GOOS value.
    public var os: String
    /// `os.version`, OPTIONAL.
    public var osVersion: String?
    /// `os.features`, OPTIONAL.
    public var osFeatures: [String]?
    /// `variant`, OPTIONAL: CPU variant (`v8`).
    public var variant: String?
    /// `config`, OPTIONAL: defaults for a container's process.
    public var config: Config?
    /// `rootfs`, REQUIRED.
    public var rootfs: RootFS
    /// `history`, OPTIONAL: one entry per build step, first to last.
    public var history: [History]?

    public init(
        created: String? = nil, author: String? = nil, architecture: String, os: String,
        osVersion: String? = nil, osFeatures: [String]? = nil, variant: String? = nil,
        config: Config? = nil, rootfs: RootFS = RootFS(diffIDs: []), history: [History]? = nil
    ) {
        self.created = created
        self.author = author
        self.architecture = architecture
        self.os = os
        self.osVersion = osVersion
        self.osFeatures = osFeatures
        self.variant = variant
        self.config = config
        self.rootfs = rootfs
        self.history = history
    }

    enum CodingKeys: String, CodingKey {
        case created, author, architecture, os
        case osVersion = "os.version"
        case osFeatures = "os.features"
        case variant, config, rootfs, history
    }

    /// The config's platform, as an index entry would describe it.
    public var platform: Platform {
        Platform(architecture: architecture, os: os, osVersion: osVersion, osFeatures: osFeatures, variant: variant)
    }
}

/// A JSON object whose content does not matter: the `{}` values of `ExposedPorts`
/// and `Volumes` (Go's `map[string]struct{}`, config.md notes the shape).
public struct EmptyObject: Codable, Sendable, Equatable, Hashable {
    public init() {}
}

extension ImageConfig {
    /// config.md `config`: execution defaults. Field names are Docker's (capitalised).
    public struct Config: Codable, Sendable, Equatable {
        /// `User`: `user`, `uid`, `user:group`, `uid:gid`, ...
        public var user: String?
        /// `ExposedPorts`: `"8080/tcp": {}`.
        public var exposedPorts: [String: EmptyObject]?
        /// `Env`: `NAME=value`.
        public var env: [String]?
        /// `Entrypoint`.
        public var entrypoint: [String]?
        /// `Cmd`: arguments to the entrypoint, or the command when there is none.
        public var cmd: [String]?
        /// `Volumes`: `"/data": {}`.
        public var volumes: [String: EmptyObject]?
        /// `WorkingDir`.
        public var workingDir: String?
        /// `Labels`.
        public var labels: [String: String]?
        /// `StopSignal`: `SIGTERM`, `SIGRTMIN+3`, or a number.
        public var stopSignal: String?
        /// `ArgsEscaped`: deprecated, Windows only.
        public var argsEscaped: Bool?
        /// `Healthcheck` (Docker extension; reserved by OCI).
        public var healthcheck: Healthcheck?
        /// `OnBuild` (Docker extension): Dockerfile instructions for images built FROM this one.
        public var onBuild: [String]?
        /// `Shell` (Docker extension): the shell for shell-form RUN, CMD, ENTRYPOINT.
        public var shell: [String]?

        public init(
            user: String? = nil, exposedPorts: [String: EmptyObject]? = nil, env: [String]? = nil,
            entrypoint: [String]? = nil, cmd: [String]? = nil, volumes: [String: EmptyObject]? = nil,
            workingDir: String? = nil, labels: [String: String]? = nil, stopSignal: String? = nil,
            argsEscaped: Bool? = nil, healthcheck: Healthcheck? = nil, onBuild: [String]? = nil,
            shell: [String]? = nil
        ) {
            self.user = user
            self.exposedPorts = exposedPorts
            self.env = env
            self.entrypoint = entrypoint
            self.cmd = cmd
            self.volumes = volumes
            self.workingDir = workingDir
            self.labels = labels
            self.stopSignal = stopSignal
            self.argsEscaped = argsEscaped
            self.healthcheck = healthcheck
            self.onBuild = onBuild
            self.shell = shell
        }

        enum CodingKeys: String, CodingKey {
            case user = "User"
            case exposedPorts = "ExposedPorts"
            case env = "Env"
            case entrypoint = "Entrypoint"
            case cmd = "Cmd"
            case volumes = "Volumes"
            case workingDir = "WorkingDir"
            case labels = "Labels"
            case stopSignal = "StopSignal"
            case argsEscaped = "ArgsEscaped"
            case healthcheck = "Healthcheck"
            case onBuild = "OnBuild"
            case shell = "Shell"
        }
    }

    /// Docker's `HealthConfig` as stored in image configs. Durations are
    /// nanoseconds (Go `time.Duration`); 0 or absent means "inherit / default".
    public struct Healthcheck: Codable, Sendable, Equatable {
        /// `Test`: `[]` inherit, `["NONE"]` disabled, `["CMD", args...]`, `["CMD-SHELL", command]`.
        public var test: [String]?
        /// `Interval`, nanoseconds.
        public var interval: Int64?
        /// `Timeout`, nanoseconds.
        public var timeout: Int64?
        /// `StartPeriod`, nanoseconds.
        public var startPeriod: Int64?
        /// `StartInterval`, nanoseconds.
        public var startInterval: Int64?
        /// `Retries`.
        public var retries: Int?

        public init(
            test: [String]? = nil, interval: Int64? = nil, timeout: Int64? = nil, startPeriod: Int64? = nil,
            startInterval: Int64? = nil, retries: Int? = nil
        ) {
            self.test = test
            self.interval = interval
            self.timeout = timeout
            self.startPeriod = startPeriod
            self.startInterval = startInterval
            self.retries = retries
        }

        enum CodingKeys: String, CodingKey {
            case test = "Test"
            case interval = "Interval"
            case timeout = "Timeout"
            case startPeriod = "StartPeriod"
            case startInterval = "StartInterval"
            case retries = "Retries"
        }
    }

    /// config.md `rootfs`: the uncompressed layers' digests (DiffIDs), base first.
    public struct RootFS: Codable, Sendable, Equatable {
        /// `type`, REQUIRED: MUST be `layers`.
        public var type: String
        /// `diff_ids`, REQUIRED by OCI. Docker omits it when there are no layers; it
        /// then reads as `[]` (and is written as `[]`).
        public var diffIDs: [Digest]

        public init(type: String = RootFS.layersType, diffIDs: [Digest]) {
            self.type = type
            self.diffIDs = diffIDs
        }

        /// The one `type` the spec defines.
        public static let layersType = "layers"

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decode(String.self, forKey: .type)
            diffIDs = try container.decodeIfPresent([Digest].self, forKey: .diffIDs) ?? []
        }
    }

    /// config.md `history` entry: one build step.
    public struct History: Codable, Sendable, Equatable {
        /// `created`: RFC 3339 date-time.
        public var created: String?
        /// `created_by`: the command.
        public var createdBy: String?
        /// `author`.
        public var author: String?
        /// `comment`.
        public var comment: String?
        /// `empty_layer`: true when the step added no layer to `rootfs.diff_ids`.
        public var emptyLayer: Bool?

        public init(
            created: String? = nil, createdBy: String? = nil, author: String? = nil, comment: String? = nil,
            emptyLayer: Bool? = nil
        ) {
            self.created = created
            self.createdBy = createdBy
            self.author = author
            self.comment = comment
            self.emptyLayer = emptyLayer
        }

        enum CodingKeys: String, CodingKey {
            case created
            case createdBy = "created_by"
            case author, comment
            case emptyLayer = "empty_layer"
        }
    }
}

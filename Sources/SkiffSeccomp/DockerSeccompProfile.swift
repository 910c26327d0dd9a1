import FoundationEssentials
import SkiffOCI

/// A seccomp profile in Docker's format (`docker run --security-opt seccomp=profile.json`), which
/// adds per-architecture, per-capability and per-kernel conditions to the OCI config.
public struct DockerSeccompProfile: Codable, Sendable, Equatable {
    public var defaultAction: String?
    public var defaultErrnoRet: UInt32?
    /// Architectures used as they are; exclusive with `archMap`.
    public var architectures: [String]?
    /// Native architecture to the sub-architectures allowed beside it.
    public var archMap: [ArchMapEntry]?
    public var flags: [String]?
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [Syscall]?

    public init(
        defaultAction: String?, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
        archMap: [ArchMapEntry]? = nil, flags: [String]? = nil, syscalls: [Syscall]? = nil
    ) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.archMap = archMap
        self.flags = flags
        self.syscalls = syscalls
    }

    public struct ArchMapEntry: Codable, Sendable, Equatable {
        public var architecture: String
        public var subArchitectures: [String]?
        public init(architecture: String, subArchitectures: [String]? = nil) {
            self.architecture = architecture
            self.subArchitectures = subArchitectures
        }
    }

    /// A group of syscalls with one action, kept only where its filters hold.
    public struct Syscall: Codable, Sendable, Equatable {
        /// Deprecated single-name form; exclusive with `names`.
        public var name: String?
        public var names: [String]?
        public var action: String
        public var errnoRet: UInt32?
        public var args: [RuntimeSpec.SyscallArg]?
        public var comment: String?
        public var includes: Filter?
        public var excludes: Filter?
        public init(
            names: [String], action: String, errnoRet: UInt32? = nil, args: [RuntimeSpec.SyscallArg]? = nil,
            includes: Filter? = nil, excludes: Filter? = nil
        ) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
            self.includes = includes
            self.excludes = excludes
        }
    }

    /// Conditions on the container and host. In `includes` all must hold; in `excludes` any one
    /// suffices.
    public struct Filter: Codable, Sendable, Equatable {
        /// Capability names, `CAP_SYS_ADMIN`.
        public var caps: [String]?
        /// Docker's architecture names: `amd64`, `arm64`, `x86`, `x32`, `s390x`, …
        public var arches: [String]?
        /// `X.Y`: the running kernel is at least this.
        public var minKernel: String?
        public init(caps: [String]? = nil, arches: [String]? = nil, minKernel: String? = nil) {
            self.caps = caps
            self.arches = arches
            self.minKernel = minKernel
        }
    }
}

extension DockerSeccompProfile {
    /// Decodes a profile; a failure names the field under `profile`.
    public static func decode(_ json: some Collection<UInt8>) throws(SeccompError) -> DockerSeccompProfile {
        do {
            return try JSONDecoder().decode(DockerSeccompProfile.self, from: Data(json))
        } catch let error as DecodingError {
            throw SeccompError(profileDecoding: error)
        } catch {
            throw SeccompError(field: "profile", problem: "\(error)")
        }
    }

    /// Docker's default profile, as bundled in this binary.
    public static let dockerDefault: DockerSeccompProfile = {
        do {
            return try decode(Array(dockerDefaultJSON.utf8))
        } catch {
            fatalError("bundled Docker seccomp profile: \(error)")
        }
    }()

    /// Resolves the profile into an OCI config for a container whose bounding set is
    /// `capabilities` on `platform`, as moby's `setupSeccomp` does; nil when the profile has no
    /// default action and no syscalls (seccomp disabled).
    ///
    /// Architectures are `architectures`, or else the native one from `archMap` with its
    /// sub-architectures. A syscall group is dropped if any excludes condition holds (a listed
    /// capability is in the set, the native architecture is listed, the kernel is at least
    /// `minKernel`) or any includes condition fails (a listed capability is missing, the native
    /// architecture is not listed, the kernel is older than `minKernel`).
    public func runtimeSeccomp(
        capabilities: [String], platform: SeccompPlatform
    ) throws(SeccompError) -> RuntimeSpec.Seccomp? {
        let syscalls = syscalls ?? []
        guard let defaultAction, !defaultAction.isEmpty else {
            if syscalls.isEmpty { return nil }
            throw SeccompError(field: "profile.defaultAction", problem: "required when syscalls are listed")
        }
        _ = try seccompAction(defaultAction, errnoRet: defaultErrnoRet, field: "profile.defaultAction")

        let archMap = archMap ?? []
        var architectures = self.architectures ?? []
        if !architectures.isEmpty, !archMap.isEmpty {
            throw SeccompError(field: "profile.archMap", problem: "use either \"architectures\" or \"archMap\", not both")
        }
        if let native = platform.architecture, let entry = archMap.first(where: { $0.architecture == native }) {
            architectures = [entry.architecture] + (entry.subArchitectures ?? [])
        }

        let caps = Set(capabilities.map(Self.capabilityName))
        var kept: [RuntimeSpec.Syscall] = []
        for (i, call) in syscalls.enumerated() {
            let field = "profile.syscalls[\(i)]"
            if let excludes = call.excludes {
                if excludes.arches?.contains(platform.dockerArchitecture) == true { continue }
                if excludes.caps?.contains(where: { caps.contains(Self.capabilityName($0)) }) == true { continue }
                if let minimum = excludes.minKernel,
                    try platform.kernel >= Self.kernelVersion(minimum, field: "\(field).excludes.minKernel")
                {
                    continue
                }
            }
            if let includes = call.includes {
                if let arches = includes.arches, !arches.isEmpty, !arches.contains(platform.dockerArchitecture) { continue }
                if includes.caps?.allSatisfy({ caps.contains(Self.capabilityName($0)) }) == false { continue }
                if let minimum = includes.minKernel,
                    try platform.kernel < Self.kernelVersion(minimum, field: "\(field).includes.minKernel")
                {
                    continue
                }
            }

            let names: [String]
            switch (call.name, call.names) {
            case (let name?, let list?) where !name.isEmpty && !list.isEmpty:
                throw SeccompError(field: field, problem: "use either \"name\" or \"names\", not both")
            case (let name?, _) where !name.isEmpty: names = [name]
            default: names = call.names ?? []
            }
            _ = try seccompAction(call.action, errnoRet: call.errnoRet, field: "\(field).action")
            for (j, arg) in (call.args ?? []).enumerated() {
                _ = try seccompOperator(arg.op, field: "\(field).args[\(j)].op")
            }
            kept.append(RuntimeSpec.Syscall(names: names, action: call.action, errnoRet: call.errnoRet, args: call.args))
        }

        var config = RuntimeSpec.Seccomp(
            defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet,
            architectures: architectures.isEmpty ? nil : architectures, flags: flags, syscalls: kept)
        config.listenerPath = listenerPath
        config.listenerMetadata = listenerMetadata
        return config
    }

    /// `cap_sys_admin` and `SYS_ADMIN` as `CAP_SYS_ADMIN`.
    static func capabilityName(_ name: String) -> String {
        let upper = name.uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }

    static func kernelVersion(_ text: String, field: String) throws(SeccompError) -> KernelVersion {
        guard let version = KernelVersion(text) else {
            throw SeccompError(field: field, problem: "\"\(text)\" is not a kernel version (X.Y)")
        }
        return version
    }
}

extension SeccompError {
    /// The field naming of config.json decoding errors, rooted at `profile`.
    init(profileDecoding error: DecodingError) {
        let spec = SpecError(decoding: error)
        let field = spec.field.isEmpty ? "profile" : (spec.field.hasPrefix("[") ? "profile" : "profile.") + spec.field
        self.init(field: field, problem: spec.problem)
    }
}

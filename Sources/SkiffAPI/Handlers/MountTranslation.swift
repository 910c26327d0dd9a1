import SkiffEngine
import SkiffOCI

/// Docker's mount syntax to engine requests and back: `HostConfig.Binds`
/// (`-v SRC:DST:MODE`), `HostConfig.Mounts` (`--mount`), `VolumesFrom`,
/// `Config.Volumes`, parsed with dockerd's rules (moby's linux parser) and
/// its error wording; inspect's `Mounts` and the echoed HostConfig.
enum MountTranslation {
    static let propagationModes: Set<String> = ["private", "rprivate", "slave", "rslave", "shared", "rshared"]

    // MARK: Docker → engine

    /// The mount fields of a create request onto `config`.
    static func apply(_ h: HostConfig, volumes: [String: EmptyObject]?, to config: inout ContainerConfiguration) throws(APIError) {
        let driver = h.volumeDriver.flatMap { $0.isEmpty ? nil : $0 }
        config.volumeDriver = driver
        config.mounts = try (h.binds ?? []).map { (raw) throws(APIError) in try bind(raw, volumeDriver: driver) }
            + (h.mounts ?? []).map { (m) throws(APIError) in try mount(m) }
        config.volumesFrom = try (h.volumesFrom ?? []).map { (spec) throws(APIError) in try volumesFrom(spec) }
        config.volumes = try (volumes ?? [:]).keys.sorted().map { (path) throws(APIError) in
            guard path.hasPrefix("/") else {
                throw .badRequest("invalid volume specification: '\(path)': invalid mount path: '\(path)' mount path must be absolute")
            }
            guard Engine.cleanPath(path) != "/" else { throw .badRequest("invalid volume specification: '\(path)': invalid specification: destination can't be '/'") }
            return path
        }
    }

    /// One `-v` entry: `DST`, `SRC:DST` or `SRC:DST:MODE`; an absolute SRC
    /// is a bind, anything else a volume name.
    static func bind(_ raw: String, volumeDriver: String?) throws(APIError) -> MountRequest {
        let invalid = APIError.badRequest("invalid volume specification: '\(raw)'")
        let parts = raw.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, !first.isEmpty else { throw invalid }
        var source = "", target = "", mode = ""
        switch parts.count {
        case 1:
            target = parts[0]
        case 2:
            // DST:MODE is not a volume.
            if isValidMode(parts[1]) { throw invalid }
            source = parts[0]
            target = parts[1]
        case 3:
            source = parts[0]
            target = parts[1]
            mode = parts[2]
        default:
            throw invalid
        }
        guard isValidMode(mode) else { throw .badRequest("invalid mode: \(mode)") }
        let options = mode.split(separator: ",").map(String.init)
        let kind: MountRequest.Kind = source.hasPrefix("/") ? .bind : .volume
        let propagation = options.first { propagationModes.contains($0) }
        let problem = { (message: String) -> APIError in
            .badRequest("invalid volume specification: '\(raw)': invalid mount config for type \"\(kind.rawValue)\": \(message)")
        }
        if kind == .volume && propagation != nil { throw problem("field BindOptions must not be specified") }
        try checkTarget(target, problem)
        var request = MountRequest(kind: kind, source: kind == .bind ? Engine.cleanPath(source) : source, destination: Engine.cleanPath(target))
        request.readOnly = options.contains("ro")
        request.mode = mode
        request.bindSpec = raw
        if kind == .bind {
            request.propagation = propagation
            request.createSource = true
        } else {
            request.noCopy = options.contains("nocopy")
            request.volumeDriver = volumeDriver
        }
        return request
    }

    /// One `HostConfig.Mounts` entry (`--mount`).
    static func mount(_ m: Mount) throws(APIError) -> MountRequest {
        let type = m.type ?? ""
        let problem = { (message: String) -> APIError in .badRequest("invalid mount config for type \"\(type)\": \(message)") }
        for (present, field, owner) in [(m.bindOptions != nil, "BindOptions", "bind"), (m.volumeOptions != nil, "VolumeOptions", "volume"),
                                        (m.tmpfsOptions != nil, "TmpfsOptions", "tmpfs")] where present && type != owner {
            throw problem("field \(field) must not be specified")
        }
        let target = m.target ?? ""
        try checkTarget(target, problem)
        let source = m.source ?? ""
        var request: MountRequest
        switch type {
        case "bind":
            guard !source.isEmpty else { throw problem("field Source must not be empty") }
            if let p = m.bindOptions?.propagation, !p.isEmpty, !propagationModes.contains(p) {
                throw problem("invalid propagation mode: \(p)")
            }
            guard source.hasPrefix("/") else { throw problem("invalid mount path: '\(source)' mount path must be absolute") }
            request = MountRequest(kind: .bind, source: Engine.cleanPath(source), destination: Engine.cleanPath(target))
            request.propagation = m.bindOptions?.propagation.flatMap { $0.isEmpty ? nil : $0 }
            request.nonRecursive = m.bindOptions?.nonRecursive ?? false
            request.createSource = m.bindOptions?.createMountpoint ?? false
        case "volume":
            if let subpath = m.volumeOptions?.subpath, !subpath.isEmpty {
                throw .badRequest("invalid mount config for type \"volume\": volume subpaths are not supported by skiffd")
            }
            request = MountRequest(kind: .volume, source: source, destination: Engine.cleanPath(target))
            request.noCopy = m.volumeOptions?.noCopy ?? false
            request.volumeLabels = m.volumeOptions?.labels ?? [:]
            request.volumeDriver = m.volumeOptions?.driverConfig?.name
            request.volumeOptions = m.volumeOptions?.driverConfig?.options ?? [:]
        case "tmpfs":
            guard source.isEmpty else { throw problem("field Source must not be specified") }
            request = MountRequest(kind: .tmpfs, source: "", destination: Engine.cleanPath(target))
            request.tmpfsSize = m.tmpfsOptions?.sizeBytes ?? 0
            guard request.tmpfsSize >= 0 else { throw problem("invalid tmpfs size: \(request.tmpfsSize)") }
            let mode = m.tmpfsOptions?.mode ?? 0
            guard mode >= 0, mode <= 0o7777 else { throw problem("invalid tmpfs mode: \(mode)") }
            request.tmpfsMode = UInt32(mode)
            for option in m.tmpfsOptions?.options ?? [] {
                guard option.count == 1 || option.count == 2 else { throw problem("invalid option array length") }
                guard option[0] == "exec" || option[0] == "noexec" else { throw problem("invalid option: \(option[0])") }
                request.tmpfsFlags.append(option.joined(separator: "="))
            }
        case "image":
            throw problem("image mounts are not supported by skiffd")
        default:
            throw problem("mount type unknown")
        }
        request.readOnly = m.readOnly ?? false
        return request
    }

    /// `CONTAINER[:MODE]`: rw, ro and the SELinux labels only.
    static func volumesFrom(_ spec: String) throws(APIError) -> VolumesFromRequest {
        guard !spec.isEmpty else { throw .badRequest("volumes-from specification cannot be an empty string") }
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let mode = parts.count > 1 ? parts[1] : ""
        let options = mode.split(separator: ",").map(String.init)
        if !mode.isEmpty && (!isValidMode(mode) || options.contains { propagationModes.contains($0) || $0 == "nocopy" }) {
            throw .badRequest("invalid mode: \(mode)")
        }
        return VolumesFromRequest(container: parts[0], mode: mode, readOnly: options.contains("ro"))
    }

    /// Docker's mode rule: comma-separated, at most one of each kind —
    /// rw/ro, z/Z, a propagation, nocopy, a consistency.
    static func isValidMode(_ mode: String) -> Bool {
        if mode.isEmpty { return true }
        var counts: [String: Int] = [:]
        for option in mode.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let kind: String
            switch option {
            case "rw", "ro": kind = "rw"
            case "z", "Z": kind = "label"
            case _ where propagationModes.contains(option): kind = "propagation"
            case "nocopy": kind = "copy"
            case "consistent", "cached", "delegated": kind = "consistency"
            default: return false
            }
            counts[kind, default: 0] += 1
        }
        return counts.values.allSatisfy { $0 <= 1 }
    }

    private static func checkTarget(_ target: String, _ problem: (String) -> APIError) throws(APIError) {
        guard !target.isEmpty else { throw problem("field Target must not be empty") }
        guard target.hasPrefix("/") else { throw problem("invalid mount path: '\(target)' mount path must be absolute") }
        guard Engine.cleanPath(target) != "/" else { throw problem("invalid specification: destination can't be '/'") }
    }

    // MARK: engine → Docker

    /// HostConfig.Binds as given.
    static func binds(_ config: ContainerConfiguration) -> [String]? {
        let binds = config.mounts.compactMap(\.bindSpec)
        return binds.isEmpty ? nil : binds
    }

    /// HostConfig.Mounts, rebuilt from the requests that came as `--mount`.
    static func mounts(_ config: ContainerConfiguration) -> [Mount]? {
        let mounts = config.mounts.filter { $0.bindSpec == nil }.map { r in
            var m = Mount(target: r.destination, source: r.source.isEmpty ? nil : r.source, type: r.kind.rawValue)
            m.readOnly = r.readOnly ? true : nil
            switch r.kind {
            case .bind:
                if r.propagation != nil || r.nonRecursive || r.createSource {
                    m.bindOptions = .init(propagation: r.propagation, nonRecursive: r.nonRecursive ? true : nil,
                                          createMountpoint: r.createSource ? true : nil)
                }
            case .volume:
                if r.noCopy || !r.volumeLabels.isEmpty || r.volumeDriver != nil || !r.volumeOptions.isEmpty {
                    m.volumeOptions = .init(
                        noCopy: r.noCopy ? true : nil, labels: r.volumeLabels.isEmpty ? nil : r.volumeLabels,
                        driverConfig: r.volumeDriver == nil && r.volumeOptions.isEmpty
                            ? nil : .init(name: r.volumeDriver, options: r.volumeOptions.isEmpty ? nil : r.volumeOptions))
                }
            case .tmpfs:
                if r.tmpfsSize != 0 || r.tmpfsMode != 0 || !r.tmpfsFlags.isEmpty {
                    m.tmpfsOptions = .init(sizeBytes: r.tmpfsSize == 0 ? nil : r.tmpfsSize, mode: r.tmpfsMode == 0 ? nil : Int(r.tmpfsMode),
                                           options: r.tmpfsFlags.isEmpty ? nil : r.tmpfsFlags.map { [$0] })
                }
            }
            return m
        }
        return mounts.isEmpty ? nil : mounts
    }

    /// Inspect's and list's `Mounts`, as dockerd shows them.
    static func mountPoints(_ c: Container) -> [MountPoint] {
        c.mounts.map { m in
            MountPoint(type: m.kind.rawValue, name: m.name, source: m.source, destination: m.destination, driver: m.driver,
                       mode: m.mode, rw: m.readWrite, propagation: m.propagation)
        }
    }
}

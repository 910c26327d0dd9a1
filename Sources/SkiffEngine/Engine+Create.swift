import Glibc
import SkiffImage
import SkiffMonitor
import SkiffOCI
import SkiffRuntime
import SkiffSnapshot
import SkiffSystem

extension Engine {
    /// `docker create`: the container's record and its writable layer, from
    /// `config` over its image's configuration. Returns the container.
    public func create(name: String?, config: ContainerConfiguration) async throws(EngineError) -> Container {
        if let name, !Self.isValidName(name) {
            throw EngineError(.invalid, "Invalid container name (\(name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        if config.autoRemove && config.restartPolicy.name != .no {
            throw EngineError(.invalid, "conflicting options: cannot specify both --restart and --rm")
        }
        let image: ImageRecord
        let imageConfig: ImageConfig
        do {
            image = try await images.resolve(config.image)
            imageConfig = try await images.config(of: image)
        } catch {
            throw error.kind == .notFound ? EngineError(.notFound, "No such image: \(config.image)") : EngineError(.system, error.message)
        }
        let base = imageConfig.config
        let id = RandomID.make()
        let entrypoint = config.entrypoint.map { $0 == [""] ? [] : $0 } ?? base?.entrypoint ?? []
        let cmd = config.cmd ?? (config.entrypoint != nil ? [] : base?.cmd ?? [])
        let argv = entrypoint + cmd
        guard let path = argv.first, !path.isEmpty else {
            throw EngineError(.invalid, "no command specified")
        }
        let ownEnv = Self.mergeEnv(base?.env ?? [], config.env)
        var healthcheck: Healthcheck?
        if let check = config.healthcheck {
            healthcheck = check.test.first == "NONE" ? nil : check
        } else if let check = base?.healthcheck, let test = check.test, test.first != "NONE", !test.isEmpty {
            healthcheck = Healthcheck(test: test, interval: check.interval ?? 0, timeout: check.timeout ?? 0,
                                      retries: check.retries ?? 0, startPeriod: check.startPeriod ?? 0)
        }
        if var check = healthcheck {
            if check.interval <= 0 { check.interval = 30_000_000_000 }
            if check.timeout <= 0 { check.timeout = 30_000_000_000 }
            if check.retries <= 0 { check.retries = 3 }
            healthcheck = check
        }
        _ = try SpecBuilder.capabilities(for: config)
        if let parent = config.cgroupParent { try Self.checkCgroupParent(parent) }
        if let signal = config.stopSignal, Signals.parse(signal) == nil {
            throw EngineError(.invalid, "Invalid signal: \(signal)")
        }
        var merged = config
        // The image's stop signal is copied in, as dockerd does (inspect shows it).
        if merged.stopSignal == nil { merged.stopSignal = base?.stopSignal.flatMap { $0.isEmpty ? nil : $0 } }
        try await resolveNetworking(&merged)
        for (key, value) in base?.labels ?? [:] where merged.labels[key] == nil { merged.labels[key] = value }
        for port in (base?.exposedPorts ?? [:]).keys where !merged.exposedPorts.contains(port) { merged.exposedPorts.append(port) }
        for volume in (base?.volumes ?? [:]).keys.sorted() where !merged.volumes.contains(volume) { merged.volumes.append(volume) }
        let hostname = config.hostname.flatMap { $0.isEmpty ? nil : $0 } ?? String(id.prefix(12))
        // dockerd's order: the default PATH, HOSTNAME, TERM (with a tty), then the image's and
        // the request's variables, each replacing one of those or appended.
        let defaults = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=\(hostname)"]
            + (config.tty ? ["TERM=xterm"] : [])
        let env = Self.mergeEnv(defaults, ownEnv)

        var container = Container(
            id: id, name: name ?? uniqueRandomName(), created: Clock.timestamp(), imageID: image.id.description,
            config: merged, state: ContainerState(), path: path, args: Array(argv.dropFirst()),
            entrypoint: entrypoint, cmd: cmd, env: env,
            workingDir: config.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? base?.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/",
            user: config.user.flatMap { $0.isEmpty ? nil : $0 } ?? base?.user ?? "",
            hostname: hostname,
            stopSignal: config.stopSignal ?? base?.stopSignal ?? "SIGTERM",
            healthcheck: healthcheck)

        // Volumes (made now, as dockerd does), then the writable layer, mounted:
        // start uses it as it is (the monitor unmounts it at exit).
        let (mounts, madeVolumes) = try resolveMounts(merged)
        container.mounts = mounts
        pendingMounts[id] = mounts
        defer { pendingMounts[id] = nil }
        let dir = directory(id)
        do {
            try Directories.make(dir, mode: 0o710)
            try Directories.make(rootfsPath(id), mode: 0o755)
            try await images.prepareRootfs(for: image, key: id, at: rootfsPath(id))
            Self.markAsContainer(rootfsPath(id))
            try populateVolumes(container)
            try db.insert(container)
        } catch {
            images.removeRootfs(key: id, at: rootfsPath(id))
            Directories.removeTree(dir)
            for name in madeVolumes { try? volumes.remove(name) }
            if let e = error as? EngineError { throw e }
            throw EngineError(.system, "create: \(error)")
        }
        containers[id] = container
        recordCreated(container, volumes: madeVolumes)
        return container
    }

    /// `/.dockerenv`, an empty file tools look for to know they run in a container
    /// (dockerd's init layer has it), unless the image has something there.
    static func markAsContainer(_ rootfs: String) {
        let root = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard root >= 0 else { return }
        defer { close(root) }
        let fd = openat(root, ".dockerenv", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o755)
        if fd >= 0 {
            fchmod(fd, 0o755)
            close(fd)
        }
    }

    /// Docker's container-name rule.
    static func isValidName(_ name: String) -> Bool {
        let bytes = Array((name.hasPrefix("/") ? String(name.dropFirst()) : name).utf8)
        guard bytes.count >= 2 || bytes.count == 1, let first = bytes.first else { return false }
        func alnum(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
        }
        return alnum(first) && bytes.dropFirst().allSatisfy { alnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// The cgroup `container`'s goes under: its own `--cgroup-parent`, else the engine's.
    nonisolated func cgroupParent(of container: Container) -> String {
        container.config.cgroupParent ?? cgroupParent
    }

    /// A cgroup parent names a cgroup: "/", or components none of which is "." or "..".
    public static func checkCgroupParent(_ parent: String) throws(EngineError) {
        let parts = parent.split(separator: "/")
        guard parent == "/" || !parts.isEmpty, !parts.contains(where: { $0 == "." || $0 == ".." }), !parent.contains("\0") else {
            throw EngineError(.invalid, "invalid cgroup parent \"\(parent)\": it must name a cgroup (no \".\" or \"..\")")
        }
    }

    /// Image env, then the container's: a later `KEY=` replaces an earlier one.
    static func mergeEnv(_ base: [String], _ overrides: [String]) -> [String] {
        var result = base
        for entry in overrides {
            let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
            if let i = result.firstIndex(where: { ($0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0) == key }) {
                result[i] = entry
            } else {
                result.append(entry)
            }
        }
        return result
    }

    func uniqueRandomName() -> String {
        while true {
            let name = NameGenerator.random()
            if !containers.values.contains(where: { $0.name == name }) { return name }
        }
    }
}

/// Docker-style random names: `adjective_scientist`.
enum NameGenerator {
    static let adjectives = [
        "admiring", "agitated", "amazing", "awesome", "blissful", "bold", "brave", "busy", "charming", "clever",
        "cool", "compassionate", "competent", "confident", "dazzling", "determined", "eager", "ecstatic", "elastic",
        "elated", "elegant", "epic", "exciting", "fervent", "festive", "focused", "friendly", "frosty", "gallant",
        "gifted", "goofy", "gracious", "happy", "hopeful", "hungry", "inspiring", "jolly", "jovial", "keen", "kind",
        "laughing", "loving", "lucid", "magical", "modest", "musing", "nice", "nifty", "nostalgic", "optimistic",
        "peaceful", "pensive", "practical", "priceless", "quirky", "quizzical", "relaxed", "reverent", "romantic",
        "serene", "sharp", "silly", "sleepy", "stoic", "sweet", "tender", "thirsty", "trusting", "upbeat", "vibrant",
        "vigilant", "wizardly", "wonderful", "youthful", "zealous", "zen",
    ]
    static let names = [
        "albattani", "allen", "archimedes", "babbage", "banach", "bardeen", "bell", "bhabha", "blackwell", "bohr",
        "booth", "borg", "bose", "brahmagupta", "brown", "carson", "cerf", "chandrasekhar", "curie", "darwin",
        "dijkstra", "easley", "einstein", "euclid", "euler", "fermat", "fermi", "feynman", "franklin", "galileo",
        "gauss", "goldberg", "goodall", "hamilton", "hawking", "heisenberg", "hodgkin", "hopper", "hypatia",
        "jackson", "johnson", "kepler", "knuth", "lamport", "leakey", "lovelace", "lumiere", "mccarthy", "meitner",
        "mendel", "morse", "newton", "nobel", "noether", "pascal", "pasteur", "perlman", "poincare", "raman",
        "ritchie", "sammet", "shannon", "shockley", "sinoussi", "tesla", "thompson", "torvalds", "turing", "wiles",
        "wilson", "wing", "wozniak", "wright", "yalow", "yonath",
    ]

    static func random() -> String {
        "\(adjectives.randomElement()!)_\(names.randomElement()!)"
    }
}

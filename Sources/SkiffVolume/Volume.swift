/// A volume of the local driver: its data under `<data-root>/volumes/<name>/_data`.
public struct Volume: Codable, Sendable, Equatable {
    public var name: String
    /// Always "local".
    public var driver: String
    /// As given at create; an anonymous volume carries `com.docker.volume.anonymous`.
    public var labels: [String: String]
    /// The local driver's `type`, `device` and `o`: what is mounted on `_data`
    /// while a container uses the volume ([:] for a plain directory).
    public var options: [String: String]
    /// RFC 3339, seconds.
    public var createdAt: String
    /// Made without a name (`-v /path`, an image's VOLUME, `volume create` with none).
    public var anonymous: Bool
    /// `<data-root>/volumes/<name>/_data`.
    public var mountpoint: String

    /// Whether `_data` gets a mount of its own (a tmpfs, a device, a bind).
    public var needsMount: Bool { options["type"] != nil || options["device"] != nil }
}

/// A volume failure, classified the way Docker's API reports it.
public struct VolumeError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case invalid   // 400
        case notFound  // 404
        case conflict  // 409
        case system    // 500
    }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// dockerd's wording for a missing volume.
    public static func noSuchVolume(_ name: String) -> VolumeError {
        VolumeError(.notFound, "get \(name): no such volume")
    }
}

/// Docker's rules for the local driver's names and options.
public enum VolumeRules {
    /// The driver skiff has.
    public static let localDriver = "local"
    /// The label Docker puts on anonymous volumes (prune removes only these unless `all`).
    public static let anonymousLabel = "com.docker.volume.anonymous"
    static let namePattern = "[a-zA-Z0-9][a-zA-Z0-9_.-]"

    /// `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, with dockerd's messages.
    public static func validateName(_ name: String) throws(VolumeError) {
        let bytes = Array(name.utf8)
        if bytes.count == 1 {
            throw VolumeError(.invalid, "volume name is too short, names should be at least two alphanumeric characters")
        }
        func alnum(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
        }
        guard let first = bytes.first, alnum(first),
              bytes.dropFirst().allSatisfy({ alnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            throw VolumeError(.invalid, "\"\(name)\" includes invalid characters for a local volume name, only \"\(namePattern)\" are allowed. If you intended to pass a host directory, use absolute path")
        }
    }

    /// The local driver's options: `type`, `device`, `o` (and `size`, which
    /// needs quotas skiff does not have); `type` and `device` go together.
    public static func validateOptions(_ options: [String: String]) throws(VolumeError) {
        for key in options.keys.sorted() where !["type", "device", "o", "size"].contains(key) {
            throw VolumeError(.invalid, "invalid option: \"\(key)\"")
        }
        if options["size"] != nil {
            throw VolumeError(.invalid, "quota size requested but no quota support")
        }
        let required = [("device", ["type"]), ("o", ["device", "type"]), ("type", ["device"])]
        for (option, needs) in required where options[option] != nil {
            for need in needs where options[need] == nil {
                throw VolumeError(.invalid, "missing required option: \"\(need)\"")
            }
        }
    }

    /// The driver name as given ("" is local); anything else is a plugin skiff does not have.
    public static func validateDriver(_ driver: String?) throws(VolumeError) {
        guard let driver, !driver.isEmpty, driver != localDriver else { return }
        throw VolumeError(.notFound, "error looking up volume plugin \(driver): plugin \"\(driver)\" not found")
    }
}

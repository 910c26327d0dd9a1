/// A point in time with nanoseconds, as tar (PAX `mtime`) and the file system (`timespec`) keep it.
public struct TarTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since the epoch (may be negative).
    public var seconds: Int64
    /// 0..<1_000_000_000, added to `seconds`.
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (a: TarTimestamp, b: TarTimestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    /// `seconds[.fraction]` as PAX writes it: at most nine digits, no trailing zeros.
    public var description: String {
        guard nanoseconds != 0 else { return String(seconds) }
        var fraction = String(nanoseconds)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.last == "0" { fraction.removeLast() }
        if seconds < 0 {
            // -1.25 is seconds -2 + 0.75: PAX writes the real number.
            let whole = -(seconds + 1)
            var complement = String(1_000_000_000 - Int(nanoseconds))
            complement = String(repeating: "0", count: 9 - complement.count) + complement
            while complement.last == "0" { complement.removeLast() }
            return "-\(whole).\(complement)"
        }
        return "\(seconds).\(fraction)"
    }
}

/// One member of a tar archive: its header with PAX and GNU extensions applied.
///
/// Paths are kept as bytes, as Linux and tar do; `path` and `linkTarget` are the UTF-8 views
/// (a name that is not UTF-8 shows replacement characters there but survives in the bytes).
public struct TarEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case regular
        case hardLink
        case symbolicLink
        case characterDevice
        case blockDevice
        case directory
        case fifo
    }

    public var kind: Kind
    /// The name in the archive, as written (`./etc/passwd`, `usr/`); see `TarPath` for cleaning.
    public var pathBytes: [UInt8]
    /// A symlink's target, or the archive path a hard link points to; empty otherwise.
    public var linkTargetBytes: [UInt8]
    /// Contents length: 0 except for regular files.
    public var size: Int64
    /// Permission bits with setuid (0o4000), setgid (0o2000) and sticky (0o1000); no type bits.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var userName: String
    public var groupName: String
    public var modificationTime: TarTimestamp
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    /// Extended attributes (`security.capability`, `user.*`, `trusted.*`), values binary-safe.
    public var xattrs: [String: [UInt8]]

    public init(
        kind: Kind, path: String, linkTarget: String = "", size: Int64 = 0, mode: UInt32 = 0o644,
        uid: UInt32 = 0, gid: UInt32 = 0, userName: String = "", groupName: String = "",
        modificationTime: TarTimestamp = TarTimestamp(seconds: 0),
        deviceMajor: UInt32 = 0, deviceMinor: UInt32 = 0, xattrs: [String: [UInt8]] = [:]
    ) {
        self.init(
            kind: kind, pathBytes: Array(path.utf8), linkTargetBytes: Array(linkTarget.utf8), size: size,
            mode: mode, uid: uid, gid: gid, userName: userName, groupName: groupName,
            modificationTime: modificationTime, deviceMajor: deviceMajor, deviceMinor: deviceMinor,
            xattrs: xattrs)
    }

    public init(
        kind: Kind, pathBytes: [UInt8], linkTargetBytes: [UInt8], size: Int64, mode: UInt32,
        uid: UInt32, gid: UInt32, userName: String, groupName: String, modificationTime: TarTimestamp,
        deviceMajor: UInt32, deviceMinor: UInt32, xattrs: [String: [UInt8]]
    ) {
        self.kind = kind
        self.pathBytes = pathBytes
        self.linkTargetBytes = linkTargetBytes
        self.size = size
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
        self.modificationTime = modificationTime
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.xattrs = xattrs
    }

    /// `pathBytes` as text.
    public var path: String {
        get { String(decoding: pathBytes, as: UTF8.self) }
        set { pathBytes = Array(newValue.utf8) }
    }

    /// `linkTargetBytes` as text.
    public var linkTarget: String {
        get { String(decoding: linkTargetBytes, as: UTF8.self) }
        set { linkTargetBytes = Array(newValue.utf8) }
    }
}

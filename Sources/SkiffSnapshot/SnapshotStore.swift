import Glibc
import SkiffSystem

/// Unpacked layers and containers' writable layers on one filesystem
/// (`<data-root>/snapshots`):
///
///     layers/<diff id hex>/fs     a layer unpacked once (overlay lower format: it
///                                 does not depend on the layers below), shared by
///                                 every image and container using it
///     active/<key>/upper, work    a container's writable layer
///     tmp/                        layers being unpacked (renamed into place)
///
/// Every step is a rename or a mkdir, so a crash leaves either the old
/// state or the new one; `tmp` is emptied on open.
public struct SnapshotStore: Sendable {
    public let root: String

    public init(root: String) throws(SnapshotError) {
        self.root = root
        for dir in [root, root + "/layers", root + "/active", root + "/tmp", root + "/empty"] {
            try makeDirectory(dir)
        }
        for name in Directories.list(root + "/tmp") { Directories.removeTree(root + "/tmp/" + name) }
    }

    // MARK: Layers

    /// The directory of a layer, by the hex of its key.
    public func layerPath(_ key: String) -> String { "\(root)/layers/\(key)/fs" }

    public func hasLayer(_ key: String) -> Bool {
        Directories.isDirectory(layerPath(key))
    }

    /// A fresh directory to unpack a layer into before its key is known;
    /// `adopt` makes it the layer, `discard` drops it.
    public func temporaryLayer() throws(SnapshotError) -> String {
        let tmp = "\(root)/tmp/unpack-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try makeDirectory(tmp + "/fs")
        return tmp + "/fs"
    }

    /// Makes an unpacked temporary layer the layer `key` (or drops it
    /// when that layer exists already). Returns the layer's path.
    @discardableResult
    public func adopt(_ temporary: String, as key: String) throws(SnapshotError) -> String {
        let dir = String(temporary.dropLast(3))  // .../unpack-x/fs → .../unpack-x
        if hasLayer(key) {
            Directories.removeTree(dir)
        } else if rename(dir, "\(root)/layers/\(key)") != 0 {
            guard errno == EEXIST || errno == ENOTEMPTY else { throw .system("rename \(dir)") }
            Directories.removeTree(dir)
        }
        return layerPath(key)
    }

    public func discard(_ temporary: String) {
        Directories.removeTree(String(temporary.dropLast(3)))
    }

    public func removeLayer(_ key: String) {
        let dir = "\(root)/layers/\(key)"
        let trash = "\(root)/tmp/rm-\(key)-\(getpid())"
        if rename(dir, trash) == 0 { Directories.removeTree(trash) }
    }

    /// Chain ids of the layers present.
    public func layers() -> [String] {
        Directories.list(root + "/layers").filter { hasLayer($0) }
    }

    // MARK: Containers

    /// A container's writable layer over its image's layers.
    public struct Active: Sendable, Equatable {
        public var key: String
        /// Chain id hexes, bottom layer first.
        public var layers: [String]
        public var upper: String
        public var work: String
    }

    /// Makes the writable layer for `key` over `layers` (layer keys,
    /// bottom first; each must be present).
    public func prepare(key: String, layers: [String]) throws(SnapshotError) -> Active {
        for layer in layers where !hasLayer(layer) {
            throw SnapshotError("snapshot \(key): layer \(layer) is not unpacked")
        }
        let dir = "\(root)/active/\(key)"
        guard mkdir(dir, 0o700) == 0 else {
            if errno == EEXIST { throw SnapshotError("snapshot \(key) already exists", errno: EEXIST) }
            throw .system("mkdir \(dir)")
        }
        try makeDirectory(dir + "/upper", mode: 0o755)
        try makeDirectory(dir + "/work", mode: 0o700)
        return Active(key: key, layers: layers, upper: dir + "/upper", work: dir + "/work")
    }

    public func active(key: String, layers: [String]) -> Active {
        let dir = "\(root)/active/\(key)"
        return Active(key: key, layers: layers, upper: dir + "/upper", work: dir + "/work")
    }

    /// Mounts the container's root filesystem at `target`.
    public func mount(_ active: Active, at target: String) throws(SnapshotError) {
        var lowers = active.layers.reversed().map(layerPath)
        if lowers.isEmpty { lowers = [root + "/empty"] }
        try OverlayMount.mount(lowers: lowers, upper: active.upper, work: active.work, target: target)
    }

    /// Mounts the layers read-only at `target` (an image's file system, for copying out of it).
    public func mountView(layers: [String], at target: String) throws(SnapshotError) {
        var lowers = layers.reversed().map(layerPath)
        if lowers.count < 2 { lowers.append(root + "/empty") }
        try OverlayMount.mount(lowers: lowers, upper: nil, work: nil, target: target, readonly: true)
    }

    /// Removes a container's writable layer (unmount its root first).
    public func remove(key: String) {
        let dir = "\(root)/active/\(key)"
        let trash = "\(root)/tmp/rm-\(key)-\(getpid())"
        if rename(dir, trash) == 0 { Directories.removeTree(trash) }
    }

    public func activeKeys() -> [String] {
        Directories.list(root + "/active")
    }
}

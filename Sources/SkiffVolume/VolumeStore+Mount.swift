import Glibc
import SkiffRuntime
import SkiffSystem

extension VolumeStore {
    /// Whether the volume's driver mount is on `_data` now.
    public func isMounted(_ volume: Volume) -> Bool {
        MountTable.current().isMountPoint(volume.mountpoint)
    }

    /// Mounts what the volume's options name on `_data` (the local driver's
    /// `mount -t TYPE -o O DEVICE _data`), unless it is mounted already; a
    /// volume without options has nothing to mount.
    public func mount(_ volume: Volume) throws(VolumeError) {
        guard volume.needsMount, !isMounted(volume) else { return }
        let fail = { (what: String, code: Int32) -> VolumeError in
            VolumeError(.system, "error while mounting volume '\(volume.mountpoint)': failed to mount local volume: \(what): \(String(cString: strerror(code)))")
        }
        guard let device = volume.options["device"], !device.isEmpty else {
            throw VolumeError(.system, "error while mounting volume '\(volume.mountpoint)': missing device in volume options")
        }
        let type = volume.options["type"] ?? ""
        let raw = volume.options["o"] ?? ""
        let options = MountOptions(raw.split(separator: ",").map(String.init))
        let data = options.data.joined(separator: ",")
        let described = "mount \(device):\(volume.mountpoint), type: \(type), data: \"\(raw)\""
        let flags = options.isBind ? options.flags & UInt(MS_BIND | MS_REC) : options.flags
        guard Glibc.mount(device, volume.mountpoint, type, flags, data.isEmpty ? nil : data) == 0 else {
            throw fail(described, errno)
        }
        // A bind takes its ro/nosuid/... in a remount; propagation is a call of its own.
        if options.isBind && options.remountFlags != 0 {
            guard Glibc.mount(nil, volume.mountpoint, nil, UInt(MS_BIND | MS_REMOUNT) | options.remountFlags, nil) == 0 else {
                let code = errno
                umount2(volume.mountpoint, Int32(MNT_DETACH))
                throw fail("remount \(volume.mountpoint)", code)
            }
        }
        if options.propagation != 0 {
            guard Glibc.mount(nil, volume.mountpoint, nil, options.propagation, nil) == 0 else {
                let code = errno
                umount2(volume.mountpoint, Int32(MNT_DETACH))
                throw fail("propagation of \(volume.mountpoint)", code)
            }
        }
    }

    /// Takes the driver mount off `_data` (a no-op when there is none).
    /// Detached: a container still holding it keeps its own bind.
    public func unmount(_ volume: Volume) throws(VolumeError) {
        guard volume.needsMount else { return }
        while isMounted(volume) {
            guard umount2(volume.mountpoint, Int32(MNT_DETACH)) == 0 else {
                throw VolumeError(.system, "unmount volume \(volume.name): umount \(volume.mountpoint): \(String(cString: strerror(errno)))")
            }
        }
    }
}

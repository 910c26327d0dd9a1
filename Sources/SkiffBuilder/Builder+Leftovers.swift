import Glibc
import SkiffEngine
import SkiffSystem

extension Builder {
    /// Where builds unpack their contexts.
    static func contextsRoot(_ engine: Engine) -> String { engine.dataRoot + "/build/contexts" }

    /// A new, empty directory for a build's context (the caller removes it).
    public static func makeContextDirectory(_ engine: Engine) throws -> String {
        let name = RandomID.make().prefix(24)
        let directory = contextsRoot(engine) + "/" + name
        try Directories.make(contextsRoot(engine), mode: 0o700)
        try Directories.make(directory, mode: 0o700)
        return directory
    }

    /// The label of the containers a build makes for its steps (none outlives its build).
    static let stepLabel = "skiff.build.step"

    /// Removes a build's context directory without making the caller wait: renamed out of
    /// the way at once, deleted on a thread of its own (what a crash interrupts goes at start).
    public static func discardContextDirectory(_ directory: String, engine: Engine) {
        let trash = contextsRoot(engine) + "/removing-" + RandomID.make().prefix(16)
        guard rename(directory, trash) == 0 else {
            Directories.removeTree(directory)
            return
        }
        detachThread { Directories.removeTree(trash) }
    }

    /// What builds cut short by the daemon's end left behind: step containers, unpacked
    /// contexts, and the scratch overlays of writable bind mounts.
    public static func removeLeftovers(_ engine: Engine) async {
        for container in await engine.list() where container.config.labels[stepLabel] != nil {
            try? await engine.remove(container.id, force: true, volumes: true)
        }
        Directories.removeTree(contextsRoot(engine))
        for name in Directories.list(engine.runRoot) where name.hasPrefix("build-") {
            umount2(engine.runRoot + "/" + name + "/merged", Int32(MNT_DETACH))
            Directories.removeTree(engine.runRoot + "/" + name)
        }
    }
}

import SkiffImage
import SkiffOCI

/// How many containers are in each state (for `/info`).
public struct ContainerCounts: Sendable, Equatable {
    public var running = 0
    public var paused = 0
    public var stopped = 0
    public var total: Int { running + paused + stopped }
    public init() {}
}

/// The engine: images and containers under one data root.
public actor Engine {
    public nonisolated let dataRoot: String
    public nonisolated let runRoot: String
    public nonisolated let images: ImageStore

    /// `dataRoot` holds persistent state (/var/lib/skiff), `runRoot` what
    /// lives until reboot (/run/skiff).
    public init(dataRoot: String, runRoot: String) throws {
        self.dataRoot = dataRoot
        self.runRoot = runRoot
        images = try ImageStore(root: dataRoot)
    }

    public func containerCounts() -> ContainerCounts { ContainerCounts() }

    /// Images that containers are made from (kept by `rmi` and prune).
    public func imagesInUse() -> Set<Digest> { [] }
}

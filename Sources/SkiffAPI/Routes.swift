import SkiffEngine

/// Daemon-wide facts the handlers report (/info).
public struct DaemonInfo: Sendable {
    /// Stable across restarts (kept in the data root).
    public var id: String
    public var debug: Bool

    public init(id: String, debug: Bool) {
        self.id = id
        self.debug = debug
    }
}

extension Router {
    /// Every route skiffd serves, each area registered from its own file.
    public static func skiff(engine: Engine, daemon: DaemonInfo) -> Router {
        var router = Router()
        registerSystemRoutes(&router, engine: engine, daemon: daemon)
        registerImageRoutes(&router, engine: engine)
        registerContainerRoutes(&router, engine: engine)
        registerContainerFileRoutes(&router, engine: engine)
        registerNetworkRoutes(&router, engine: engine)
        registerResourceRoutes(&router, engine: engine)
        registerVolumeRoutes(&router, engine: engine)
        registerEventRoutes(&router, engine: engine)
        registerDiskUsageRoutes(&router, engine: engine)
        registerBuildRoutes(&router, engine: engine)
        return router
    }
}

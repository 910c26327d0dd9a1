import SkiffEngine

/// Daemon-wide facts the handlers report (/info).
public struct DaemonInfo: Sendable {
    /// Stable across restarts (kept in the data root).
    public var id: String
    public var debug: Bool
    /// Registries spoken to over plain HTTP (`--insecure-registry`: host[:port] or CIDR).
    public var insecureRegistries: [String]
    /// Per-registry CAs and client certificates, Docker's certs.d layout (`--certs-dir`).
    public var certsDir: String?

    public init(id: String, debug: Bool, insecureRegistries: [String] = [], certsDir: String? = nil) {
        self.id = id
        self.debug = debug
        self.insecureRegistries = insecureRegistries
        self.certsDir = certsDir
    }
}

extension Router {
    /// Every route skiffd serves, each area registered from its own file.
    public static func skiff(engine: Engine, daemon: DaemonInfo) -> Router {
        var router = Router()
        registerSystemRoutes(&router, engine: engine, daemon: daemon)
        registerImageRoutes(&router, engine: engine, daemon: daemon)
        registerRegistryRoutes(&router, engine: engine, daemon: daemon)
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

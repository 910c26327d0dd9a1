import Glibc
import SkiffEngine
import SkiffSystem

/// `/_ping`, `/version`, `/info`.
func registerSystemRoutes(_ router: inout Router, engine: Engine, daemon: DaemonInfo) {
    let host = HostInfo.current()

    let pingHeaders: [(name: String, value: String)] = [
        ("Builder-Version", "1"), ("Cache-Control", "no-cache, no-store, must-revalidate"), ("Pragma", "no-cache"),
        ("Swarm", "inactive"),
        ("Content-Type", "text/plain; charset=utf-8"),
    ]
    router.get("/_ping") { _ in APIResponse(headers: pingHeaders, body: .bytes(Array("OK".utf8))) }
    router.head("/_ping") { _ in APIResponse(headers: pingHeaders) }

    router.get("/version") { _ in
        try .json(systemVersion(host))
    }

    router.get("/info") { _ in
        let counts = await engine.containerCounts()
        let images = try await engine.images.list().count
        var info = SystemInfo(
            id: daemon.id, containers: counts.total, containersRunning: counts.running,
            containersPaused: counts.paused, containersStopped: counts.stopped, images: images,
            driverStatus: [["Backing Filesystem", filesystemName(engine.dataRoot)], ["Supports d_type", "true"]],
            debug: daemon.debug, nFd: openFileCount(), nGoroutines: 0,
            systemTime: Timestamp.now(fraction: .trimmed),
            cgroupVersion: host.cgroupVersion, kernelVersion: host.kernelVersion,
            operatingSystem: host.operatingSystem, osVersion: host.osVersion, architecture: host.machine,
            ncpu: host.cpus, memTotal: host.memTotal, dockerRootDir: engine.dataRoot, name: host.hostname,
            serverVersion: SkiffVersion.version, runtimes: ["skiff": .init(path: "skiff-runtime")],
            defaultRuntime: "skiff", securityOptions: ["name=seccomp,profile=builtin"])
        if Engine.initBinary != nil { info.initBinary = "docker-init" }
        return try .json(info)
    }
}

private func systemVersion(_ host: HostInfo) -> SystemVersion {
    let details = [
        "ApiVersion": APIVersion.current, "MinAPIVersion": APIVersion.minimum, "GitCommit": SkiffVersion.gitCommit,
        "GoVersion": SkiffVersion.languageVersion, "Os": "linux", "Arch": host.goArch,
        "KernelVersion": host.kernelVersion, "Experimental": "false",
    ]
    return SystemVersion(
        platform: .init(name: "skiff"),
        components: [.init(name: "Engine", version: SkiffVersion.version, details: details)],
        version: SkiffVersion.version, apiVersion: APIVersion.current, minAPIVersion: APIVersion.minimum,
        gitCommit: SkiffVersion.gitCommit, goVersion: SkiffVersion.languageVersion, os: "linux", arch: host.goArch,
        kernelVersion: host.kernelVersion)
}

// swift-tools-version: 6.1
// skiff: a Docker-compatible container engine for Linux. See docs/ARCHITECTURE.md.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "skiff",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "skiff-runtime", targets: ["skiff-runtime"]),
        .library(name: "SkiffRuntime", targets: ["SkiffRuntime"]),
        .library(name: "SkiffOCI", targets: ["SkiffOCI"]),
        .executable(name: "skiffd", targets: ["skiffd"]),
        .executable(name: "skiff", targets: ["skiff"]),
        .executable(name: "skiff-monitor", targets: ["skiff-monitor"]),
        .executable(name: "skiff-registry", targets: ["skiff-registry"]),
        .executable(name: "skiff-compose", targets: ["skiff-compose"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Directory helpers on Glibc shared by the stores and the runtime.
        .target(name: "SkiffSystem", swiftSettings: strict),

        // OCI types: runtime-spec (and, later, image-spec) as plain Codable values.
        .target(name: "SkiffOCI", swiftSettings: strict),

        // The child side of clone(2): everything between clone and execve, in C, no allocation.
        .target(name: "CSkiffSpawn", cSettings: [.unsafeFlags(["-O2", "-Wall", "-Wextra", "-Werror"])]),

        // Debian's libseccomp.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),

        // Debian's zlib and libzstd, with C shims for their macros.
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        // tar archives (PAX, GNU), gzip and zstd streams, extraction that cannot leave its root,
        // OCI whiteouts.
        .target(name: "SkiffArchive", dependencies: ["CZlib", "CZstd"], swiftSettings: strict),
        // gzip inflated by Debian's Intel ISA-L (shared only, so not in the static executables).
        .systemLibrary(name: "CIsal", providers: [.apt(["libisal-dev"])]),
        .target(name: "SkiffIgzip", dependencies: ["SkiffArchive", "CIsal"], swiftSettings: strict),

        // Unpacked layers and containers' writable layers on overlayfs.
        .target(name: "SkiffSnapshot", dependencies: ["SkiffArchive", "SkiffSystem"], swiftSettings: strict),

        // Content store (blobs), image store (metadata in SQLite), import, load and save.
        .target(
            name: "SkiffImage",
            dependencies: [
                "SkiffOCI", "SkiffArchive", "SkiffIgzip", "SkiffSnapshot", "SkiffSystem", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),

        // OCI seccomp config (and Docker's profile format) compiled to a BPF program.
        .target(name: "SkiffSeccomp", dependencies: ["SkiffOCI", "CSeccomp"], swiftSettings: strict),

        // cgroup v1 and v2 behind one interface.
        .target(name: "SkiffCgroups", dependencies: ["SkiffOCI"], swiftSettings: strict),

        // The OCI runtime: bundles to isolated, limited processes.
        .target(
            name: "SkiffRuntime",
            dependencies: ["SkiffOCI", "CSkiffSpawn", "SkiffSeccomp", "SkiffCgroups", "SkiffSystem"],
            swiftSettings: strict),

        // runc-compatible command line.
        .executableTarget(
            name: "skiff-runtime",
            dependencies: [
                "SkiffRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        // Drives the image store for bench/ (not installed).
        .executableTarget(name: "skiff-bench", dependencies: ["SkiffImage"], swiftSettings: strict),

        // The per-container monitor (conmon's role): holds the container's stdio,
        // writes its log, reaps it, records its exit, restarts it. Small: no GRDB, no NIO.
        .target(name: "SkiffMonitor", dependencies: ["SkiffRuntime", "SkiffOCI", "SkiffSystem", "CSkiffSpawn"], swiftSettings: strict),
        .executableTarget(name: "skiff-monitor", dependencies: ["SkiffMonitor"], swiftSettings: strict),

        // The embedded DNS server of user-defined networks: local names, the rest forwarded.
        .target(name: "SkiffDNS", swiftSettings: strict),
        // Networks: bridges, veth pairs and namespaces over rtnetlink, addresses, published
        // ports and NAT in an nftables table of its own, names for the DNS server.
        .target(
            name: "SkiffNetwork",
            dependencies: ["SkiffDNS", "SkiffSystem", "CSkiffSpawn", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),

        // Volumes (the local driver): directories, driver-option mounts, copy-up, metadata in SQLite.
        .target(
            name: "SkiffVolume",
            dependencies: [
                "SkiffSystem", "SkiffRuntime", "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),

        // The engine: containers (state in SQLite), their specs, monitors, images, volumes.
        .target(
            name: "SkiffEngine",
            dependencies: [
                "SkiffImage", "SkiffSnapshot", "SkiffRuntime", "SkiffVolume", "SkiffMonitor", "SkiffOCI", "SkiffSeccomp", "SkiffSystem", "CSkiffSpawn",
                "SkiffCgroups",
                "SkiffNetwork", "SkiffDNS",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),

        // HTTP/1.1 on swift-nio for skiffd's API and the registry: keep-alive, streamed request
        // bodies with backpressure, chunked and hijacked responses.
        .target(
            name: "SkiffHTTP",
            dependencies: [
                "SkiffArchive", "SkiffSystem",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),

        // The Docker Engine API (v1.47) over HTTP/1.1 on a unix socket, translated to engine calls.
        .target(
            name: "SkiffAPI",
            dependencies: [
                "SkiffEngine", "SkiffMonitor", "SkiffImage", "SkiffOCI", "SkiffSystem", "SkiffVolume", "SkiffNetwork", "SkiffDNS",
                "SkiffBuilder", "SkiffBuild", "SkiffArchive", "SkiffRegistryClient", "SkiffHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),

        // The registry client: the distribution API (pull, push, auth) on AsyncHTTPClient.
        .target(
            name: "SkiffRegistryClient",
            dependencies: [
                "SkiffImage", "SkiffOCI", "SkiffArchive", "SkiffSystem",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),

        // The daemon.
        .executableTarget(
            name: "skiffd",
            dependencies: ["SkiffAPI", "SkiffEngine", "SkiffBuilder", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),

        // libxcrypt's crypt_r (bcrypt htpasswd entries for the registry).
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),

        // The registry server (OCI distribution spec v1.1) and its executable.
        .target(
            name: "SkiffRegistryServer",
            dependencies: [
                "SkiffHTTP", "SkiffImage", "SkiffOCI", "SkiffSystem", "CCrypt",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),
        .executableTarget(name: "skiff-registry", dependencies: ["SkiffRegistryServer", "SkiffHTTP"], swiftSettings: strict),

        // Dockerfiles parsed and expanded as BuildKit does, and .dockerignore matching (no I/O).
        .target(name: "SkiffBuild", swiftSettings: strict),
        .target(
            name: "SkiffBuilder",
            dependencies: [
                "SkiffBuild", "SkiffEngine", "SkiffImage", "SkiffArchive", "SkiffOCI", "SkiffSystem", "SkiffMonitor", "SkiffRuntime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict),

        // The CLI: docker's commands over the API only (no engine, no NIO, no GRDB, no full Foundation).
        // Its libraries: SkiffArchive (Glibc, zlib, zstd) for tar streams, SkiffBuild for .dockerignore, SkiffSystem (Glibc).
        .target(name: "SkiffCLI", dependencies: ["SkiffArchive", "SkiffBuild", "SkiffSystem"], swiftSettings: strict),
        .executableTarget(name: "skiff", dependencies: ["SkiffCLI"], swiftSettings: strict),

        // Compose files read the Compose Specification's way (YAML via Yams, interpolation, merge,
        // extends, include, profiles, schema validation with path-named errors) into a project.
        .target(name: "SkiffCompose", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strict),
        // `skiff compose` (the CLI execs it, as docker runs its compose plugin): the project driven
        // through the API with the CLI's client. Full Foundation is here, never in `skiff`.
        .executableTarget(
            name: "skiff-compose",
            dependencies: [
                "SkiffCompose", "SkiffCLI", "SkiffArchive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),

        .testTarget(name: "SkiffEngineTests", dependencies: ["SkiffEngine", "SkiffMonitor", "SkiffSystem", "SkiffVolume"], swiftSettings: strict),
        .testTarget(name: "SkiffVolumeTests", dependencies: ["SkiffVolume", "SkiffSystem", "CZlib"], swiftSettings: strict),
        .testTarget(name: "SkiffAPITests", dependencies: ["SkiffAPI", "SkiffEngine", "SkiffSystem"], swiftSettings: strict),
        .testTarget(name: "SkiffCLITests", dependencies: ["SkiffCLI"], swiftSettings: strict),
        .testTarget(name: "SkiffNetworkTests", dependencies: ["SkiffNetwork", "SkiffDNS"], swiftSettings: strict),
        .testTarget(name: "SkiffImageTests", dependencies: ["SkiffImage", "SkiffRuntime", "SkiffSystem"], swiftSettings: strict),
        .testTarget(name: "SkiffArchiveTests", dependencies: ["SkiffArchive", "SkiffIgzip"], swiftSettings: strict),
        .testTarget(name: "SkiffOCITests", dependencies: ["SkiffOCI"], swiftSettings: strict),
        .testTarget(name: "SkiffRegistryClientTests", dependencies: ["SkiffRegistryClient", "SkiffOCI", "SkiffSystem"], swiftSettings: strict),
        .testTarget(name: "SkiffSeccompTests", dependencies: ["SkiffSeccomp"], swiftSettings: strict),
        .testTarget(name: "SkiffCgroupsTests", dependencies: ["SkiffCgroups"], swiftSettings: strict),
        .testTarget(name: "SkiffDNSTests", dependencies: ["SkiffDNS"], swiftSettings: strict),
        .testTarget(name: "SkiffRuntimeTests", dependencies: ["SkiffRuntime", "CSkiffSpawn"], swiftSettings: strict),
        .testTarget(name: "SkiffRegistryServerTests", dependencies: ["SkiffRegistryServer", "SkiffHTTP", "SkiffImage", "SkiffOCI", "SkiffSystem"], swiftSettings: strict),
        .testTarget(name: "SkiffBuildTests", dependencies: ["SkiffBuild"], swiftSettings: strict),
        .testTarget(name: "SkiffComposeTests", dependencies: ["SkiffCompose"], swiftSettings: strict),
        .testTarget(
            name: "SkiffBuilderTests",
            dependencies: ["SkiffBuilder", "SkiffBuild", "SkiffEngine", "SkiffImage", "SkiffArchive", "SkiffSystem"],
            swiftSettings: strict),
    ]
)

import Testing

@testable import SkiffBuild

// Multi-stage resolution: global scope, bases, --from, targets, cycles.

let multiStage = """
    ARG BASE=alpine
    ARG VERSION
    ARG TARGETARCH
    FROM ${BASE}:${VERSION:-3.19} AS base
    FROM golang:1.22-$TARGETARCH AS build
    COPY --from=base /etc/os-release /
    FROM build AS test
    RUN --mount=from=tools,target=/t --mount=type=cache,target=/c go test ./...
    FROM busybox AS Tools
    FROM scratch
    COPY --from=1 /app /app
    COPY --from=nginx:latest /etc/nginx /etc/nginx
    COPY --from=BUILD /x /y
    """

@Test func globalScope() throws {
    let dockerfile = try Dockerfile(parsing: multiStage)
    let scope = try dockerfile.globalScope(
        buildArguments: ["VERSION": "3.20", "UNDECLARED": "x", "TARGETOS": "plan9"],
        predefined: ["TARGETARCH": "amd64", "TARGETOS": "linux", "BUILDARCH": "amd64"])
    #expect(scope == ["BASE": "alpine", "VERSION": "3.20", "TARGETARCH": "amd64", "TARGETOS": "plan9", "BUILDARCH": "amd64"])
    // Defaults see the ARGs before them; a build argument replaces the default unexpanded.
    let chained = try Dockerfile(parsing: "ARG A=1\nARG B=${A}2 C=$B\nARG D=$A\nFROM x")
    #expect(try chained.globalScope(buildArguments: [:]) == ["A": "1", "B": "12", "C": "12", "D": "1"])
    #expect(try chained.globalScope(buildArguments: ["B": "$A"]) == ["A": "1", "B": "$A", "C": "$A", "D": "1"])
    #expect(throws: DockerfileError(#"failed to process "${A:-": syntax error: missing '}'"#, lines: 2...2)) {
        try Dockerfile(parsing: "\nARG B=${A:-\nFROM x").globalScope(buildArguments: [:])
    }
}

@Test func stageGraph() throws {
    let dockerfile = try Dockerfile(parsing: multiStage)
    let globals = try dockerfile.globalScope(buildArguments: [:], predefined: ["TARGETARCH": "arm64"])
    let graph = try dockerfile.stageGraph(target: nil, globals: globals)
    #expect(graph.bases == [.image("alpine:3.19"), .image("golang:1.22-arm64"), .stage(1), .image("busybox"), .scratch])
    #expect(graph.sources == [[], [.stage(0)], [.stage(3)], [], [.stage(1), .image("nginx:latest")]])
    #expect(graph.target == 4)
    #expect(graph.needed == [0, 1, 4])
    #expect(try dockerfile.stageGraph(target: "test", globals: globals).needed == [0, 1, 2, 3])
    #expect(try dockerfile.stageGraph(target: "TOOLS", globals: globals).needed == [3])
    #expect(throws: DockerfileError(#"target stage "tset" could not be found (did you mean test?)"#, lines: nil)) {
        try dockerfile.stageGraph(target: "tset", globals: globals)
    }
    #expect(throws: DockerfileError(#"target stage "nothing" could not be found"#, lines: nil)) {
        try dockerfile.targetStage("nothing")
    }
}

@Test func fromResolution() throws {
    // FROM matches earlier stages by exact (lowercased) name; later or differently cased names are images.
    let dockerfile = try Dockerfile(parsing: "FROM a AS Builder\nFROM builder\nFROM Builder\nFROM later\nFROM x AS later\nFROM scratch AS scratch\nFROM scratch")
    let bases = try dockerfile.stages.indices.map { index throws(DockerfileError) in try dockerfile.base(ofStage: index, globals: [:]) }
    #expect(bases == [.image("a"), .stage(0), .image("Builder"), .image("later"), .image("x"), .scratch, .stage(5)])
}

@Test func copyFromResolution() throws {
    let dockerfile = try Dockerfile(parsing: "FROM a AS one\nFROM b AS two\nFROM c AS one\nFROM d")
    #expect(try dockerfile.copySource("0") == .stage(0))
    #expect(try dockerfile.copySource("+3") == .stage(3))
    #expect(try dockerfile.copySource("ONE") == .stage(2))
    #expect(try dockerfile.copySource("two") == .stage(1))
    #expect(try dockerfile.copySource("alpine:3") == .image("alpine:3"))
    #expect(try dockerfile.copySource("scratch") == .scratch)
    #expect(throws: DockerfileError("invalid stage index 4", lines: nil)) { try dockerfile.copySource("4") }
    #expect(throws: DockerfileError("invalid stage index -1", lines: nil)) { try dockerfile.copySource("-1") }
    let variableMessage = "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround"
    #expect(throws: DockerfileError(variableMessage, lines: nil)) { try dockerfile.copySource("$STAGE") }
    #expect(throws: DockerfileError(variableMessage, lines: nil)) { try dockerfile.copySource("\"two\"") }
    #expect(dockerfile.mountSource("Two") == .stage(1))
    #expect(dockerfile.mountSource("0") == .image("0"))
    // In a graph the failing COPY is named.
    let bad = try Dockerfile(parsing: "FROM a\nFROM b\nCOPY --from=7 x y")
    #expect(throws: DockerfileError("invalid stage index 7", lines: 3...3)) { try bad.stageGraph(target: nil, globals: [:]) }
}

@Test func circularDependencies() throws {
    let selfCopy = try Dockerfile(parsing: "FROM busybox AS stage0\nCOPY --from=stage0 f /")
    #expect(throws: DockerfileError("circular dependency detected on stage: stage0", lines: nil)) {
        try selfCopy.stageGraph(target: nil, globals: [:])
    }
    let ring = try Dockerfile(parsing: """
        FROM busybox
        FROM busybox AS a
        COPY --from=c f /
        FROM busybox AS b
        COPY --from=a f /
        FROM busybox AS c
        RUN --mount=from=b,target=/b true
        """)
    #expect(throws: DockerfileError("circular dependency detected on stage: a", lines: nil)) {
        try ring.stageGraph(target: nil, globals: [:])
    }
    let throughBase = try Dockerfile(parsing: "FROM busybox AS a\nCOPY --from=b f /\nFROM a AS b")
    #expect(throws: DockerfileError("circular dependency detected on stage: a", lines: nil)) {
        try throughBase.stageGraph(target: nil, globals: [:])
    }
}

@Test func everyStageIsCheckedNotOnlyTheNeededOnes() throws {
    let dockerfile = try Dockerfile(parsing: "FROM $UNSET AS unused\nFROM busybox")
    #expect(throws: DockerfileError("base name ($UNSET) should not be blank", lines: 1...1)) {
        try dockerfile.stageGraph(target: nil, globals: [:])
    }
}

import Testing

@testable import SkiffBuild

// Hostile input: random bytes and mutated Dockerfiles must be parsed, expanded and
// resolved to a result or an error, never a crash or a hang. Seeds are fixed so a
// failure reproduces.

let corpus = [
    multiStage,
    """
    # syntax=docker/dockerfile:1
    # escape=`
    FROM mcr.microsoft.com/windows/servercore AS base
    RUN dir c:\\ `
        && echo done
    COPY ["a b", "c:/dest/"]
    """,
    """
    FROM debian:bookworm
    ARG DEBIAN_FRONTEND=noninteractive
    ENV LANG=C.UTF-8 PATH="/opt/bin:${PATH}"
    RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
        --mount=type=bind,source=pkgs.txt,target=/tmp/pkgs.txt \\
        apt-get update && xargs apt-get install -y < /tmp/pkgs.txt
    COPY --chown=app:app --chmod=0755 <<-"EOF" /usr/local/bin/entry
    \t#!/bin/sh
    \texec "$@"
    \tEOF
    RUN <<A cat > /a && <<-B cat > /b
    ${HOME:-x}
    A
    \tb
    \tB
    HEALTHCHECK --interval=10s --timeout=3s --retries=2 CMD ["/bin/check"]
    ONBUILD COPY . /src
    LABEL org.opencontainers.image.title="t" version=1.0
    EXPOSE 80/tcp ${PORT:-8080}
    USER app
    WORKDIR /srv/${NAME%%.*}
    VOLUME ["/data"]
    STOPSIGNAL SIGTERM
    SHELL ["/bin/bash", "-c"]
    ENTRYPOINT ["/usr/local/bin/entry"]
    CMD ["serve"]
    """,
]

let tokens = [
    "\\\n", "`\n", "\n", "\r\n", " ", "\t", "#", "<<EOF", "<<-'X'", "EOF\n", "${", "}", "$", ":-", "#", "%%", "//", "\"", "'", "[", "]", ",",
    "--mount=", "--from=", "=", "RUN ", "FROM ", "ONBUILD ", "COPY ", "ENV ", "ARG ", "HEALTHCHECK ", "CMD ", "\u{FEFF}", "\u{00A0}",
    "é", "\0", "\u{FFFF}", "[\"", "\\u", "\\ud800",
]

/// Parses and, when that works, expands every instruction and resolves the stages.
func exercise(_ bytes: [UInt8]) {
    guard let dockerfile = try? Dockerfile(parsing: bytes) else { return }
    let variables = ["HOME": "/root", "X": "${X}", "PATH": "/bin", "PORT": "1 2"]
    for stage in dockerfile.stages {
        for instruction in stage.instructions {
            _ = try? instruction.expanded(variables, escape: dockerfile.escape)
            _ = try? instruction.mounts(expanding: variables, escape: dockerfile.escape)
            if case .onbuild(let expression) = instruction.kind { _ = try? Dockerfile.trigger(expression) }
        }
    }
    if let globals = try? dockerfile.globalScope(buildArguments: ["A": "b"]) {
        _ = try? dockerfile.stageGraph(target: nil, globals: globals)
    }
    _ = try? DockerIgnore(contents: bytes).match("a/b/c")
}

@Test(.timeLimit(.minutes(2)))
func randomBytes() {
    var random = SeededGenerator(state: 7)
    for _ in 0..<3_000 {
        let count = Int.random(in: 0...300, using: &random)
        var bytes: [UInt8] = []
        for _ in 0..<count {
            // Mostly printable ASCII and line breaks, some anything.
            switch Int.random(in: 0..<10, using: &random) {
            case 0: bytes.append(UInt8.random(in: 0...255, using: &random))
            case 1: bytes.append(0x0A)
            default: bytes.append(UInt8.random(in: 0x20...0x7E, using: &random))
            }
        }
        exercise(bytes)
        exercise(Array("FROM a\n".utf8) + bytes)
    }
}

@Test(.timeLimit(.minutes(2)))
func mutatedDockerfiles() {
    var random = SeededGenerator(state: 42)
    for _ in 0..<4_000 {
        var text = Array(corpus.randomElement(using: &random)!.utf8)
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            let position = Int.random(in: 0...text.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0:
                text.insert(contentsOf: tokens.randomElement(using: &random)!.utf8, at: position)
            case 1:
                let end = min(text.count, position + Int.random(in: 1...20, using: &random))
                text.removeSubrange(position..<end)
            case 2:
                let end = min(text.count, position + Int.random(in: 1...40, using: &random))
                text.insert(contentsOf: text[position..<end], at: position)
            case 3:
                if position < text.count { text[position] = UInt8.random(in: 0...255, using: &random) }
            default:
                let lines = text.split(separator: 0x0A, omittingEmptySubsequences: false)
                text = Array(lines.shuffled(using: &random).joined(separator: [0x0A]))
            }
        }
        exercise(text)
    }
}

@Test(.timeLimit(.minutes(1)))
func pathologicalInput() {
    // Physical lines stay under the 64 KiB limit; continuations make logical lines longer.
    func continued(_ piece: String, _ times: Int) -> String {
        String(repeating: String(repeating: piece, count: 1_000) + "\\\n", count: times)
    }
    let deep = 100_000
    let cases: [String] = [
        "FROM a\nRUN " + continued("[", 100),
        "FROM a\nCMD [" + continued("[", 100) + continued("]", 100) + "]",
        "FROM a\nCMD " + continued("[\"a\",", 100) + "\"b\"]",
        "FROM a\nRUN " + String(repeating: "[", count: deep),
        "FROM a\nENV a=" + String(repeating: "${a:-", count: deep / 10),
        "FROM a\nWORKDIR " + String(repeating: "${a:-", count: 5_000) + String(repeating: "}", count: 5_000),
        "FROM a\n" + String(repeating: "ONBUILD \\\n", count: 20_000) + "RUN x",
        "FROM a\nRUN " + String(repeating: "<<EOF ", count: 5_000) + "\n" + String(repeating: "EOF\n", count: 5_000),
        "FROM a\nRUN a " + String(repeating: "\\\n", count: 50_000) + "b",
        "FROM a\n" + String(repeating: "RUN --mount=type=cache,target=/x x\n", count: 5_000),
        "FROM a\nWORKDIR ${a//" + String(repeating: "*", count: 2_000) + "/x}",
        String(repeating: "FROM a AS s\nCOPY --from=s x y\n", count: 2_000),
        "FROM a\nLABEL " + String(repeating: "k=v ", count: 15_000),
        "FROM a\nLABEL " + continued("k=v ", 100),
        "FROM a\n" + String(repeating: "\n", count: 200_000) + "RUN x",
    ]
    for text in cases {
        exercise(Array(text.utf8))
    }
    let ignore = try? DockerIgnore(patterns: [String(repeating: "*", count: 3_000) + "x", "!" + String(repeating: "**/", count: 1_000) + "y"])
    _ = ignore?.match(String(repeating: "a/", count: 2_000) + "b")
    _ = ignore?.canSkipContents(of: String(repeating: "a/", count: 1_000) + "b", ignore!.match("z"))
    let long = ["X": String(repeating: "ab", count: 20_000)]
    _ = try? ShellLexer().processWord("${X//*a*b*/c} ${X%%a*} ${X#*b*a}", long)
}

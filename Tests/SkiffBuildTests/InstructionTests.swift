import Testing

@testable import SkiffBuild

// Every instruction typed: `FROM scratch` + one line → its `Instruction.Kind`.

struct KindCase: CustomTestStringConvertible, Sendable {
    let line: String
    let expected: Instruction.Kind
    var testDescription: String { line.debugDescription }

    init(_ line: String, _ expected: Instruction.Kind) {
        self.line = line
        self.expected = expected
    }
}

let kindCases: [KindCase] = [
    KindCase("RUN echo hi", .run(Run(command: .shell("echo hi")))),
    KindCase(#"RUN ["echo", "hi"]"#, .run(Run(command: .exec(["echo", "hi"])))),
    KindCase("RUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=npm --network=none --security=insecure make",
             .run(Run(command: .shell("make"), mounts: ["type=cache,target=/root/.cache", "type=secret,id=npm"],
                      network: .none, security: .insecure))),
    KindCase("RUN --device=vendor.com/gpu=all,required x",
             .run(Run(command: .shell("x"), devices: [RunDevice(name: "vendor.com/gpu=all", required: true)]))),
    KindCase("RUN --device=name=dev1,required=false x", .run(Run(command: .shell("x"), devices: [RunDevice(name: "dev1")]))),
    KindCase("CMD echo $HOME", .cmd(.shell("echo $HOME"))),
    KindCase(#"CMD ["nginx", "-g", "daemon off;"]"#, .cmd(.exec(["nginx", "-g", "daemon off;"]))),
    KindCase("CMD []", .cmd(.exec([]))),
    KindCase("CMD", .cmd(.shell(""))),
    KindCase(#"ENTRYPOINT ["/entrypoint.sh"]"#, .entrypoint(.exec(["/entrypoint.sh"]))),
    KindCase("ENTRYPOINT exec top -b", .entrypoint(.shell("exec top -b"))),
    KindCase(#"SHELL ["/bin/bash", "-o", "pipefail", "-c"]"#, .shell(["/bin/bash", "-o", "pipefail", "-c"])),
    KindCase(#"LABEL a=b "c d"="e f""#, .label([KeyValue("a", "b"), KeyValue("\"c d\"", "\"e f\"")])),
    KindCase("LABEL version 1.0 beta", .label([KeyValue("version", "1.0 beta")])),
    KindCase("MAINTAINER Jo <jo@example.com>", .maintainer("Jo <jo@example.com>")),
    KindCase("EXPOSE 8080 80/udp 443", .expose(["443", "80/udp", "8080"])),
    KindCase("EXPOSE $PORT", .expose(["$PORT"])),
    KindCase(#"ENV a=1 b="2 3""#, .env([KeyValue("a", "1"), KeyValue("b", "\"2 3\"")])),
    KindCase("ENV PATH /usr/local/bin:$PATH", .env([KeyValue("PATH", "/usr/local/bin:$PATH")])),
    KindCase("ADD --chown=1:2 --chmod=644 --link --keep-git-dir=false --checksum=sha256:ab --unpack=true --exclude=*.md --exclude=x a.tar /dst/",
             .add(Add(sources: [.path("a.tar")], destination: "/dst/", chown: "1:2", chmod: "644", link: true, keepGitDir: false,
                      checksum: "sha256:ab", unpack: true, excludes: ["*.md", "x"]))),
    KindCase("ADD https://example.com/a.tgz /", .add(Add(sources: [.path("https://example.com/a.tgz")], destination: "/"))),
    KindCase("ADD --link=false a b", .add(Add(sources: [.path("a")], destination: "b"))),
    KindCase("COPY --from=build --chown=app --chmod=755 --link --parents --exclude=*.o src/ include/ /out/",
             .copy(Copy(sources: [.path("src/"), .path("include/")], destination: "/out/", from: "build", chown: "app", chmod: "755",
                        link: true, parents: true, excludes: ["*.o"]))),
    KindCase(#"COPY ["a b", "c", "/d e/"]"#, .copy(Copy(sources: [.path("a b"), .path("c")], destination: "/d e/"))),
    KindCase("COPY --from= a b", .copy(Copy(sources: [.path("a")], destination: "b"))),
    KindCase("COPY -- --a b", .copy(Copy(sources: [.path("--a")], destination: "b"))),
    KindCase("VOLUME /a /b", .volume(["/a", "/b"])),
    KindCase(#"VOLUME [" /data "]"#, .volume(["/data"])),
    KindCase("USER app:app", .user("app:app")),
    KindCase("WORKDIR /srv/my app", .workdir("/srv/my app")),
    KindCase(#"ARG a b=2 c="" d=$X"#, .arg([ArgDefinition("a"), ArgDefinition("b", "2"), ArgDefinition("c", "\"\""), ArgDefinition("d", "$X")])),
    KindCase("ONBUILD RUN echo hi", .onbuild("RUN echo hi")),
    KindCase("onbuild  \t COPY --chown=a . /app  ", .onbuild("COPY --chown=a . /app  ")),
    KindCase("STOPSIGNAL SIGRTMIN+3", .stopSignal("SIGRTMIN+3")),
    KindCase("HEALTHCHECK --interval=30s --timeout=5s --start-period=1m30s --start-interval=500ms --retries=3 CMD curl -f http://localhost/",
             .healthcheck(Healthcheck(test: ["CMD-SHELL", "curl -f http://localhost/"], interval: 30_000_000_000, timeout: 5_000_000_000,
                                      startPeriod: 90_000_000_000, startInterval: 500_000_000, retries: 3))),
    KindCase(#"HEALTHCHECK CMD ["/bin/check", "--quiet"]"#, .healthcheck(Healthcheck(test: ["CMD", "/bin/check", "--quiet"]))),
    KindCase("HEALTHCHECK --interval=0s --retries=0 CMD true", .healthcheck(Healthcheck(test: ["CMD-SHELL", "true"]))),
    KindCase("healthcheck none", .healthcheck(Healthcheck(test: ["NONE"]))),
    KindCase("HEALTHCHECK --interval=nonsense NONE", .healthcheck(Healthcheck(test: ["NONE"]))),
    KindCase("HEALTHCHECK --timeout=1.5h CMD x", .healthcheck(Healthcheck(test: ["CMD-SHELL", "x"], timeout: 5_400_000_000_000))),
    KindCase("STOPSIGNAL --ignored SIGTERM", .stopSignal("SIGTERM")),
]

@Test(arguments: kindCases)
func instructionKind(_ test: KindCase) throws {
    #expect(try instruction(test.line).kind == test.expected)
}

@Test func fromLines() throws {
    let dockerfile = try Dockerfile(parsing: """
        ARG BASE=alpine
        FROM --platform=$BUILDPLATFORM golang:1.22 AS Build
        FROM ${BASE}
        from build as TEST
        """)
    #expect(dockerfile.globalArguments.map(\.kind) == [.arg([ArgDefinition("BASE", "alpine")])])
    #expect(dockerfile.stages.map(\.from) == [
        From(base: "golang:1.22", name: "build", platform: "$BUILDPLATFORM"),
        From(base: "${BASE}"),
        From(base: "build", name: "test"),
    ])
    #expect(dockerfile.stages.map(\.index) == [0, 1, 2])
    #expect(dockerfile.stages.map(\.name) == ["build", nil, "test"])
}

@Test func heredocsAreReadAfterTheirLine() throws {
    let dockerfile = try Dockerfile(parsing: """
        FROM scratch
        RUN <<EOF
        set -e
        echo "$HOME"
        EOF
        RUN 3<<-'END' cat /dev/fd/3 > /out
        \tindented $X
        \t\tdeeper
        \tEND
        COPY <<A plain <<"B" /dst/
        a: $X
        A
        b: $X
        B
        RUN python3 <<PY <<SH
        print(1)
        PY
        echo 2
        SH
        RUN ["cat", "<<EOF"]
        RUN echo '<<EOF'
        """)
    let instructions = dockerfile.stages[0].instructions
    #expect(instructions[0].heredocs == [Heredoc(name: "EOF", content: "set -e\necho \"$HOME\"\n")])
    #expect(instructions[0].kind == .run(Run(command: .shell("<<EOF"))))
    #expect(instructions[1].heredocs == [
        Heredoc(name: "END", fileDescriptor: 3, expand: false, chomp: true, content: "\tindented $X\n\t\tdeeper\n"),
    ])
    #expect(instructions[1].heredocs[0].body == "indented $X\ndeeper\n")
    #expect(instructions[2].kind == .copy(Copy(sources: [
        .inline(InlineFile(name: "A", data: "a: $X\n", expand: true)),
        .path("plain"),
        .inline(InlineFile(name: "B", data: "b: $X\n", expand: false)),
    ], destination: "/dst/")))
    #expect(instructions[3].heredocs.map(\.name) == ["PY", "SH"])
    #expect(instructions[3].heredocs.map(\.content) == ["print(1)\n", "echo 2\n"])
    #expect(instructions[3].lines == 15...19)
    // Exec form and quoted `<<` have no heredocs.
    #expect(instructions[4].heredocs.isEmpty)
    #expect(instructions[5].heredocs.isEmpty)
    #expect(instructions[5].kind == .run(Run(command: .shell("echo '<<EOF'"))))
}

@Test func heredocDelimiters() throws {
    // name, expand, chomp, fd: BuildKit's rules for quoting parts of the delimiter.
    let cases: [(String, String, Bool, Bool, UInt)] = [
        ("<<EOF", "EOF", true, false, 0),
        ("<<-EOF", "EOF", true, true, 0),
        ("<<'EOF'", "EOF", false, false, 0),
        (#"<<"EOF""#, "EOF", false, false, 0),
        (#"<<E"O"F"#, "EOF", false, false, 0),
        (#"<<eo\'f"#, "eo'f", true, false, 0),
        ("<<  EOF", "EOF", true, false, 0),
        ("<<-  'EOF'", "EOF", false, true, 0),
        ("12<<EOF", "EOF", true, false, 12),
        ("<<$EOF", "$EOF", true, false, 0),
    ]
    for (word, name, expand, chomp, fd) in cases {
        #expect(try Heredoc.parse(word) == Heredoc(name: name, fileDescriptor: fd, expand: expand, chomp: chomp), "\(word)")
    }
    for word in ["", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh", "a<<EOF"] {
        #expect(try Heredoc.parse(word) == nil, "\(word)")
    }
    for word in ["<<'EOF", #"<<"EOF"#, "<<EOF'"] {
        #expect(throws: ExpansionError.self, "\(word)") { try Heredoc.parse(word) }
    }
    #expect(try Heredoc.all(in: "RUN <<A cmd <<-'B' '<<C' \"<<D\"").map(\.name) == ["A", "B"])
    #expect(try Heredoc.all(in: "RUN <<A '").isEmpty)
}

@Test func heredocTerminators() throws {
    // A terminator matches the whole line (CRLF allowed; tabs first only with `<<-`).
    let dockerfile = try Dockerfile(parsing: "FROM a\r\nRUN <<EOF\r\n EOF\r\nEOF \r\n\tEOF\r\nEOF\r\nRUN <<-X\r\n\t\tX\r\nRUN y")
    let instructions = dockerfile.stages[0].instructions
    #expect(instructions[0].heredocs.map(\.content) == [" EOF\r\nEOF \r\n\tEOF\r\n"])
    #expect(instructions[1].heredocs.map(\.content) == [""])
    #expect(instructions.count == 3)
}

@Test func onbuildTriggersKeepHeredocs() throws {
    let dockerfile = try Dockerfile(parsing: "FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\nONBUILD ADD [\"<<X\", \"/y\"]\nRUN z")
    let instructions = dockerfile.stages[0].instructions
    #expect(instructions[0].kind == .onbuild("RUN <<EOF\necho hi\nEOF"))
    #expect(instructions[1].kind == .onbuild("ADD [\"<<X\", \"/y\"]"))
    #expect(instructions.count == 3)
    // The trigger parses back into the instruction (as a child build reads the image's OnBuild).
    let trigger = try Dockerfile.trigger("RUN <<EOF\necho hi\nEOF")
    #expect(trigger.kind == .run(Run(command: .shell("<<EOF"))))
    #expect(trigger.heredocs == [Heredoc(name: "EOF", content: "echo hi\n")])
    #expect(throws: DockerfileError("FROM isn't allowed as an ONBUILD trigger", lines: 1...1)) { try Dockerfile.trigger("FROM x") }
    #expect(throws: DockerfileError("onbuild trigger should be a single expression", lines: nil)) { try Dockerfile.trigger("RUN a\nRUN b") }
}

@Test func runMountSources() throws {
    let run = try instruction("RUN --mount=type=bind,from=build,target=/src --mount=type=cache,target=/c --mount=from=img$ x")
    guard case .run(let value) = run.kind else { Issue.record("not RUN"); return }
    #expect(value.mountSources == ["build", nil, "img$"])
}

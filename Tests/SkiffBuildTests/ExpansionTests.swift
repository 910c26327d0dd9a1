import Testing

@testable import SkiffBuild

// Instruction-level expansion: which parts of which instruction BuildKit expands,
// and how (one word, or split into words).

let scope = ["X": "1", "HOME": "/root", "U": "app", "G": "staff", "M": "0644", "PORTS": "80 443/udp", "SRC": "a b", "SP": " s "]

func expand(_ line: String, _ variables: [String: String] = scope, escape: Unicode.Scalar = "\\") throws -> Instruction.Kind {
    try instruction(line).expanded(variables, escape: escape).kind
}

@Test func envAndLabelExpandKeysAndValues() throws {
    #expect(try expand(#"ENV a=$X b="$X y" c='$X' d=\$X"#) == .env([
        KeyValue("a", "1"), KeyValue("b", "1 y"), KeyValue("c", "$X"), KeyValue("d", "$X"),
    ]))
    #expect(try expand("ENV PATH $HOME/bin:$PATH") == .env([KeyValue("PATH", "/root/bin:")]))
    #expect(try expand(#"ENV legacy "quoted value"  kept"#) == .env([KeyValue("legacy", "quoted value  kept")]))
    // Every pair sees the variables from before the instruction.
    #expect(try expand("ENV X=2 Y=$X") == .env([KeyValue("X", "2"), KeyValue("Y", "1")]))
    #expect(try expand(#"LABEL "k $X"="v ${U}" plain=${SP}"#) == .label([KeyValue("k 1", "v app"), KeyValue("plain", " s ")]))
}

@Test func copyAndAddExpandPathsAndOwnership() throws {
    #expect(try expand("COPY --from=$X --chown=$U:$G --chmod=$M --exclude=$X $SRC /dst/$X/") == .copy(Copy(
        sources: [.path("a b")], destination: "/dst/1/", from: "$X", chown: "app:staff", chmod: "0644", excludes: ["$X"])))
    #expect(try expand("ADD --checksum=sha256:$X --chown=${UNSET} ${SRC}.tar ${HOME}") == .add(Add(
        sources: [.path("a b.tar")], destination: "/root", checksum: "sha256:1")))
    #expect(try expand(#"COPY ["$SRC", "/d"]"#) == .copy(Copy(sources: [.path("a b")], destination: "/d")))
}

@Test func heredocFilesExpandUnlessQuoted() throws {
    let expanded = try instruction("COPY <<EOF <<'RAW' /x/\n$X \"q\" '$U' \\$X \\\\ ${UNSET:-d}\nEOF\n$X\nRAW\n").expanded(scope)
    #expect(expanded.kind == .copy(Copy(sources: [
        .inline(InlineFile(name: "EOF", data: "1 \"q\" 'app' $X \\ d\n", expand: true)),
        .inline(InlineFile(name: "RAW", data: "$X\n", expand: false)),
    ], destination: "/x/")))
    // RUN's heredocs are the shell's: left as written.
    let run = try instruction("RUN <<EOF\necho $X\nEOF")
    #expect(try run.expanded(scope) == run)
}

@Test func singleWordInstructions() throws {
    #expect(try expand("WORKDIR $HOME/app") == .workdir("/root/app"))
    #expect(try expand(#"WORKDIR "/a b/$X""#) == .workdir("/a b/1"))
    #expect(try expand("USER ${U}:${G}") == .user("app:staff"))
    #expect(try expand("USER ${UNSET:-root}") == .user("root"))
    #expect(try expand("STOPSIGNAL SIG$X") == .stopSignal("SIG1"))
    #expect(try expand("VOLUME $HOME /data$X") == .volume(["/root", "/data1"]))
    #expect(try expand(#"VOLUME ["$HOME", "/data $X"]"#) == .volume(["/root", "/data 1"]))
}

@Test func exposeSplitsWords() throws {
    #expect(try expand("EXPOSE 8080 $PORTS") == .expose(["80", "443/udp", "8080"]))
    #expect(try expand(#"EXPOSE "$PORTS""#) == .expose(["80 443/udp"]))
    #expect(try expand("EXPOSE $UNSET") == .expose([]))
}

@Test func argExpandsDefaultsOnly() throws {
    #expect(try expand("ARG A=$X B C=\"${HOME} x\" $X=y") == .arg([
        ArgDefinition("A", "1"), ArgDefinition("B"), ArgDefinition("C", "/root x"), ArgDefinition("$X", "y"),
    ]))
}

@Test func commandsAreNotExpanded() throws {
    for line in ["RUN echo $X", "CMD echo $X", #"ENTRYPOINT ["$X"]"#, #"SHELL ["$X"]"#, "MAINTAINER $X", "ONBUILD RUN $X",
                 "HEALTHCHECK CMD $X"] {
        let parsed = try instruction(line)
        #expect(try parsed.expanded(scope) == parsed, "\(line)")
    }
}

@Test func backtickEscapeApplies() throws {
    let dockerfile = try Dockerfile(parsing: "# escape=`\nFROM a\nWORKDIR c:\\`$X\\$X")
    let workdir = dockerfile.stages[0].instructions[0]
    #expect(try workdir.expanded(scope, escape: dockerfile.escape).kind == .workdir("c:\\$X\\1"))
}

@Test func expansionErrorsNameTheInstruction() throws {
    let dockerfile = try Dockerfile(parsing: "FROM a\n\nWORKDIR ${X:-\nUSER ${NAME:?set NAME}")
    let instructions = dockerfile.stages[0].instructions
    #expect(throws: DockerfileError(#"failed to process "${X:-": syntax error: missing '}'"#, lines: 3...3)) {
        try instructions[0].expanded(scope)
    }
    #expect(throws: DockerfileError(#"failed to process "${NAME:?set NAME}": NAME: set NAME"#, lines: 4...4)) {
        try instructions[1].expanded(scope)
    }
    #expect((try? instructions[1].expanded(["NAME": "x"]))?.kind == .user("x"))
}

@Test func fromExpandsWithTheGlobalScope() throws {
    let dockerfile = try Dockerfile(parsing: "FROM --platform=$P ${BASE:-alpine}:$V AS b\nFROM $UNSET\nFROM --platform=$UNSET a")
    func header(_ index: Int) -> Instruction {
        let stage = dockerfile.stages[index]
        return Instruction(keyword: "FROM", original: stage.original, lines: stage.lines, kind: .from(stage.from))
    }
    #expect(try header(0).expanded(["P": "linux/arm64", "V": "3"]).kind == .from(From(base: "alpine:3", name: "b", platform: "linux/arm64")))
    #expect(throws: DockerfileError("base name ($UNSET) should not be blank", lines: 2...2)) { try header(1).expanded([String: String]()) }
    #expect(throws: DockerfileError("empty platform value from expression $UNSET", lines: 3...3)) { try header(2).expanded([String: String]()) }
}

@Test func runMountsAreTypedWithExpandedValues() throws {
    let run = try instruction(
        "RUN --mount=type=cache,target=$HOME/.cache,id=cache-$X,sharing=locked,uid=1000,gid=$X,mode=0700 " +
        "--mount=type=secret,id=npm,required,env=TOKEN --mount=target=/src,from=build,source=/out " +
        "--mount=type=bind,target=/w,rw --mount=type=tmpfs,target=/t,size=64m --mount=type=ssh,target=/agent,required=false " +
        #"--mount=type=cache,\"target=/a,b\",ro make"#)
    var cache = RunMount(type: .cache)
    cache.target = "/root/.cache"
    cache.cacheID = "cache-1"
    cache.sharing = .locked
    cache.uid = 1000
    cache.gid = 1
    cache.mode = 0o700
    cache.readOnly = false
    var secret = RunMount(type: .secret)
    secret.cacheID = "npm"
    secret.required = true
    secret.env = "TOKEN"
    var bind = RunMount()
    bind.target = "/src"
    bind.from = "build"
    bind.source = "/out"
    var writable = RunMount()
    writable.target = "/w"
    writable.readOnly = false
    var tmpfs = RunMount(type: .tmpfs)
    tmpfs.target = "/t"
    tmpfs.sizeLimit = 64 << 20
    tmpfs.readOnly = false
    var ssh = RunMount(type: .ssh)
    ssh.target = "/agent"
    var quoted = RunMount(type: .cache)
    quoted.target = "/a,b"
    #expect(try run.mounts(expanding: scope) == [cache, secret, bind, writable, tmpfs, ssh, quoted])
    #expect(try instruction("WORKDIR /x").mounts(expanding: scope).isEmpty)
}

@Test func runMountErrors() throws {
    let cases: [(String, String)] = [
        ("type=cach,target=/x", #"unsupported mount type "cach" (did you mean cache?)"#),
        ("type=cache,sharing=privat,target=/x", #"unsupported sharing value "privat" (did you mean private?)"#),
        ("targett=/x", "unexpected key 'targett' in 'targett=/x' (did you mean target?)"),
        ("type=bind,target=/x,mode=0700", #"mode not allowed for "bind" type mounts"#),
        ("type=tmpfs,target=/x,uid=0", #"uid not allowed for "tmpfs" type mounts"#),
        ("type=secret,id=a,from=b", "secret mount should not have a from"),
        ("type=secret,id=a,sharing=shared", "secret mount should not define sharing"),
        ("type=secret", "invalid secret mount. one of source, target required"),
        ("type=secret,source=a,id=b", "both source and id can't be set"),
        ("type=bind,target=/x,sharing=shared", "invalid cache sharing set for bind mount"),
        ("type=bind,target=/x,required", "unexpected key 'required' for mount type 'bind'"),
        ("type=cache,target=/x,size=1m", "unexpected key 'size' for mount type 'cache'"),
        ("type=tmpfs,target=/x,size=big", "invalid value for size: big"),
        ("target=/x,ro=maybe", "invalid value for ro: maybe"),
        ("type=cache,target=/x,uid=-1", "invalid value -1 for uid"),
        ("type=cache,target=/x,mode=0800", "invalid value 0800 for mode"),
        ("target=/x,nonsense", "invalid field 'nonsense' must be a key=value pair"),
        ("target=${X:-", #"failed to process "${X:-": syntax error: missing '}'"#),
    ]
    for (spec, message) in cases {
        let run = try instruction("\nRUN --mount=\(spec) x")
        #expect(throws: DockerfileError(message, lines: 3...3), "\(spec)") { try run.mounts(expanding: scope) }
    }
}

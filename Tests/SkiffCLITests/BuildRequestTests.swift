import Testing

@testable import SkiffCLI

private func parseBuild(_ args: [String]) throws(FlagError) -> ParsedFlags {
    try FlagParser(flags: BuildCommand.spec.flags, interspersed: true, shortHelp: true).parse(args)
}

@Test func buildFlagsBecomeDockersQuery() throws {
    // The query docker 28 sent for the same command line (captured against dockerd).
    let flags = try parseBuild([
        "-q", "-t", "x1", "-t", "x2:v", "--build-arg", "A=1", "--build-arg", "FOO", "--build-arg", "UNSET",
        "--build-arg", "H=<&>", "--label", "l1=v", "--label", "l2", "--target", "t", "--no-cache", "--network", "host",
        "--pull", "--rm=false", "--force-rm", "--platform", "Linux/AMD64", "--cache-from", "a,b", "--cache-from", "c",
        "--shm-size", "64m", "-m", "128m", "--memory-swap", "-1", "--cpu-shares", "5", "--cpu-quota", "1000",
        "--cpu-period", "2000", "--cpuset-cpus", "0", "--cpuset-mems", "0", "--cgroup-parent", "cg", "--isolation",
        "default", "--add-host", "h:1.2.3.4", "--add-host", "k=[::1]", "--ulimit", "nofile=10:20", "--ulimit", "nproc=5",
        "--ulimit", "nofile=1:2", "-f", "Dockerfile", ".",
    ])
    var request = try BuildRequest(flags: flags, environment: ["FOO": "fromenv"])
    request.dockerfile = "Dockerfile"
    #expect(request.query.encoded == [
        "buildargs=%7B%22A%22%3A%221%22%2C%22FOO%22%3A%22fromenv%22%2C%22H%22%3A%22%5Cu003c%5Cu0026%5Cu003e%22%2C%22UNSET%22%3Anull%7D",
        "cachefrom=%5B%22a%22%2C%22b%22%2C%22c%22%5D", "cgroupparent=cg", "cpuperiod=2000", "cpuquota=1000", "cpusetcpus=0",
        "cpusetmems=0", "cpushares=5", "dockerfile=Dockerfile", "extrahosts=h%3A1.2.3.4", "extrahosts=k%3A%3A%3A1",
        "forcerm=1", "labels=%7B%22l1%22%3A%22v%22%2C%22l2%22%3A%22%22%7D", "memory=134217728", "memswap=-1",
        "networkmode=host", "nocache=1", "platform=linux%2Famd64", "pull=1", "q=1", "rm=0", "shmsize=67108864", "t=x1",
        "t=x2%3Av", "target=t",
        "ulimits=%5B%7B%22Name%22%3A%22nofile%22%2C%22Hard%22%3A2%2C%22Soft%22%3A1%7D%2C%7B%22Name%22%3A%22nproc%22%2C%22Hard%22%3A5%2C%22Soft%22%3A5%7D%5D",
        "version=1",
    ].joined(separator: "&"))
}

@Test func aPlainBuildSendsOnlyItsDockerfileAndVersion() throws {
    var request = try BuildRequest(flags: try parseBuild(["."]), environment: [:])
    request.dockerfile = "Dockerfile"
    #expect(request.query.encoded == "dockerfile=Dockerfile&version=1")
    let platform = try BuildRequest(flags: try parseBuild(["."]), environment: ["DOCKER_DEFAULT_PLATFORM": "linux/arm64"])
    #expect(platform.query.encoded == "platform=linux%2Farm64&version=1")
    #expect(try BuildRequest(flags: try parseBuild(["--rm", "--network=default", "."]), environment: [:]).query.encoded == "version=1")
}

@Test(arguments: [
    (["-t", "Bad:Name"], "invalid argument \"Bad:Name\" for \"-t, --tag\" flag: invalid reference format: repository name (library/Bad) must be lowercase"),
    (["-t", "x@sha256:aaaa"], "invalid argument \"x@sha256:aaaa\" for \"-t, --tag\" flag: invalid reference format"),
    (["--ulimit", "x"], "invalid argument \"x\" for \"--ulimit\" flag: invalid ulimit argument: x"),
    (["--ulimit", "nofile=a"], "invalid argument \"nofile=a\" for \"--ulimit\" flag: strconv.ParseInt: parsing \"a\": invalid syntax"),
    (["--ulimit", "bogus=1"], "invalid argument \"bogus=1\" for \"--ulimit\" flag: invalid ulimit type: bogus"),
    (["--ulimit", "nofile=2:1"], "invalid argument \"nofile=2:1\" for \"--ulimit\" flag: ulimit soft limit must be less than or equal to hard limit: 2 > 1"),
    (["--ulimit", "nofile=1:2:3"], "invalid argument \"nofile=1:2:3\" for \"--ulimit\" flag: too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`"),
    (["--add-host", "bad"], "invalid argument \"bad\" for \"--add-host\" flag: bad format for add-host: \"bad\""),
    (["--add-host", "h:notip"], "invalid argument \"h:notip\" for \"--add-host\" flag: invalid IP address in add-host: \"notip\""),
    (["--build-arg", "=x"], "invalid argument \"=x\" for \"--build-arg\" flag: invalid environment variable: =x"),
    (["--label", "=x"], "invalid argument \"=x\" for \"--label\" flag: invalid label '=x': empty name"),
    (["-m", "1x"], "invalid argument \"1x\" for \"-m, --memory\" flag: invalid suffix: 'x'"),
    (["-c", "x"], "invalid argument \"x\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing \"x\": invalid syntax"),
])
func buildFlagValuesAreCheckedAsDockerChecksThem(args: [String], message: String) {
    do {
        _ = try parseBuild(args + ["."])
        Issue.record("accepted \(args)")
    } catch {
        #expect(error.message == message)
    }
}

@Test func flagValueHelpers() throws {
    #expect(BuildFlagValues.tagProblem("busybox:1.36") == nil)
    #expect(BuildFlagValues.tagProblem("x@sha256:" + String(repeating: "a", count: 64)) == nil)
    #expect(BuildFlagValues.tagProblem("x@sha256:" + String(repeating: "a", count: 40)) == "invalid checksum digest length")
    #expect(BuildFlagValues.tagProblem("x@md5:" + String(repeating: "a", count: 32)) == "unsupported digest algorithm")
    #expect(try BuildFlagValues.extraHost("h=1.2.3.4") == "h:1.2.3.4")
    #expect(try BuildFlagValues.extraHost("h:host-gateway") == "h:host-gateway")
    #expect(try BuildFlagValues.extraHost("h:::1") == "h:::1")
    #expect(try BuildFlagValues.ulimit("nofile=-1") == BuildFlagValues.Ulimit(name: "nofile", soft: -1, hard: -1))
    #expect(try BuildFlagValues.ulimit("core=5:-1") == BuildFlagValues.Ulimit(name: "core", soft: 5, hard: -1))
}

@Test func jsonMessagesShowAsDockersBuildShowsThem() throws {
    var out = ""
    var aux: [JSON] = []
    let stream = JSONMessageStream(write: { out += $0 }, onAux: { aux.append($0) }, width: 80)
    for line in [
        #"{"stream":"Step 1/2 : FROM busybox\n"}"#,
        #"{"stream":" ---\u003e fbf456660eec\n"}"#,
        #"{"status":"Pulling from library/busybox","id":"latest"}"#,
        #"{"status":"Downloading","progressDetail":{"current":10,"total":100},"progress":"[=>  ]","id":"abc"}"#,
        #"{"status":"Download complete","progressDetail":{},"id":"abc"}"#,
        #"{"status":"Extracting","progress":"1 MB","id":"abc"}"#,
        #"{"aux":{"ID":"sha256:1234"}}"#,
        "",
        #"{"stream":"Successfully built 1234\n"}"#,
    ] {
        try stream.show(line: Array(line.utf8)[...])
    }
    #expect(out == """
        Step 1/2 : FROM busybox
         ---> fbf456660eec
        latest: Pulling from library/busybox
        abc: Download complete
        abc: Extracting 1 MBSuccessfully built 1234

        """)
    #expect(aux == [.object(["ID": .string("sha256:1234")])])
}

@Test func anErrorDetailEndsTheStreamWithItsCode() {
    let stream = JSONMessageStream(write: { _ in }, onAux: { _ in }, width: 80)
    let failing = #"{"errorDetail":{"code":3,"message":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"},"error":"x"}"#
    #expect(throws: JSONMessageStream.Failure(code: 3, message: "The command '/bin/sh -c exit 3' returned a non-zero code: 3")) {
        try stream.show(line: Array(failing.utf8)[...])
    }
    #expect(throws: JSONMessageStream.Failure(code: 0, message: "no code")) {
        try stream.show(line: Array(#"{"errorDetail":{"message":"no code"}}"#.utf8)[...])
    }
    #expect(JSONMessageStream.progressIsBlank(.object(["current": .number(0)]), width: 80))
    #expect(!JSONMessageStream.progressIsBlank(.object(["current": .number(5)]), width: 80))
    #expect(JSONMessageStream.progressIsBlank(.object(["current": .number(5), "total": .number(10), "hidecounts": .bool(true)]), width: 80))
    #expect(!JSONMessageStream.progressIsBlank(.object(["current": .number(5), "total": .number(10), "hidecounts": .bool(true)]), width: 200))
}

@Test func uploadProgressShowsUpdatesOnlyOnATerminal() {
    let quiet = BuildOutput(fd: nil)
    let plain = UploadProgress(output: quiet, showsUpdates: false)
    for _ in 0..<40 { plain.add(100_000) }
    plain.finish()
    #expect(quiet.text == "Sending build context to Docker daemon      4MB\r\r\n")

    var clock = 0.0
    let kept = BuildOutput(fd: nil)
    let terminal = UploadProgress(output: kept, showsUpdates: true, now: { clock })
    terminal.add(600_000)  // shown: past 512 KiB, first of its 100 ms
    terminal.add(600_000)  // past 512 KiB again, but within the same 100 ms
    clock = 0.2
    terminal.add(600_000)
    terminal.finish()
    #expect(kept.text == """
        Sending build context to Docker daemon    600kB\rSending build context to Docker daemon    1.8MB\r\
        Sending build context to Docker daemon    1.8MB\r\r\n
        """)
}

@Test func logLinesAreLogrusText() {
    let line = GoLog.line("Can't add file /c/sock to tar: archive/tar: sockets not supported", level: "error", terminal: false, now: 0)
    #expect(line.hasPrefix("time=\""))
    #expect(line.hasSuffix("\" level=error msg=\"Can't add file /c/sock to tar: archive/tar: sockets not supported\"\n"))
    #expect(GoLog.line("short", level: "error", terminal: true, now: 0)
        == "\u{1B}[31mERRO\u{1B}[0m[0000] short" + String(repeating: " ", count: 39) + " \n")
}

@Suite struct StepTimerTests {
    @Test func stepEndsGetTheirTime() {
        let timer = StepTimer()
        #expect(timer.annotate(" ---> 0123456789ab\n") == " ---> 0123456789ab\n")  // no step started
        #expect(timer.annotate("Step 1/2 : RUN true\n") == "Step 1/2 : RUN true\n")
        #expect(timer.annotate(" ---> Running in 0123456789ab\n") == " ---> Running in 0123456789ab\n")
        let end = timer.annotate(" ---> 0123456789ab\n")
        #expect(end.hasPrefix(" ---> 0123456789ab  (0.") && end.hasSuffix("s)\n"))
        #expect(timer.annotate(" ---> 0123456789ab\n") == " ---> 0123456789ab\n")  // once per step
    }
}

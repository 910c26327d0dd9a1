import Testing

@testable import SkiffCLI

private func parseRun(_ args: [String]) throws(FlagError) -> ParsedFlags {
    try FlagParser(flags: RunCommand.spec.flags, interspersed: false, shortHelp: false).parse(args)
}

@Test func combinedShortFlags() throws {
    let f = try parseRun(["-dit", "busybox", "sh"])
    #expect(f.bool("detach") && f.bool("interactive") && f.bool("tty"))
    #expect(f.args == ["busybox", "sh"])
}

@Test func valueForms() throws {
    let f = try parseRun(["-e=X=1", "-eY=2", "-e", "Z", "--name=web", "--env", "W=3", "-p8080:80", "busybox"])
    #expect(f.strings("env") == ["X=1", "Y=2", "Z", "W=3"])
    #expect(f.string("name") == "web")
    #expect(f.strings("publish") == ["8080:80"])
}

@Test func argumentsAfterTheImageBelongToTheCommand() throws {
    let f = try parseRun(["--rm", "busybox", "ls", "-l", "--name", "x"])
    #expect(f.bool("rm"))
    #expect(f.string("name") == nil)
    #expect(f.args == ["busybox", "ls", "-l", "--name", "x"])
}

@Test func lastCombinedShortFlagTakesTheNextArgument() throws {
    let f = try parseRun(["-itu", "1000", "busybox"])
    #expect(f.bool("interactive") && f.bool("tty"))
    #expect(f.string("user") == "1000")
}

@Test func booleanValuesAndDoubleDash() throws {
    let f = try parseRun(["--rm=false", "--sig-proxy=0", "-d=true", "--", "-image-"])
    #expect(!f.bool("rm") && f.isSet("rm"))
    #expect(!f.bool("sig-proxy"))
    #expect(f.bool("detach"))
    #expect(f.args == ["-image-"])
}

@Test func hIsHostnameForRunAndHelpElsewhere() throws {
    #expect(try parseRun(["-h", "box", "busybox"]).string("hostname") == "box")
    let ps = try FlagParser(flags: ListCommand.spec.flags, interspersed: true, shortHelp: true).parse(["-h"])
    #expect(ps.help)
}

@Test func aliasesShareTheirValues() throws {
    let f = try parseRun(["--net", "none", "busybox"])
    #expect(f.string("network") == "none")
}

@Test func interspersedFlagsAfterArguments() throws {
    let f = try FlagParser(flags: RemoveCommand.spec.flags, interspersed: true, shortHelp: true).parse(["a", "-f", "b"])
    #expect(f.bool("force"))
    #expect(f.args == ["a", "b"])
}

@Test(arguments: [
    (["--foo"], "unknown flag: --foo"),
    (["-z"], "unknown shorthand flag: 'z' in -z"),
    (["-dz"], "unknown shorthand flag: 'z' in -z"),
    (["--name"], "flag needs an argument: --name"),
    (["-e"], "flag needs an argument: 'e' in -e"),
    (["--memory", "abc", "x"], "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'"),
    (["--cpus", "abc", "x"], "invalid argument \"abc\" for \"--cpus\" flag: failed to parse abc as a rational number"),
    (["--rm=maybe", "x"], "invalid argument \"maybe\" for \"--rm\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax"),
    (["--stop-timeout", "1.5", "x"], "invalid argument \"1.5\" for \"--stop-timeout\" flag: strconv.ParseInt: parsing \"1.5\": invalid syntax"),
    (["--health-interval", "5", "x"], "invalid argument \"5\" for \"--health-interval\" flag: time: missing unit in duration \"5\""),
    (["-a", "foo", "x"], "invalid argument \"foo\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR"),
])
func flagErrorsAreWordedAsPflag(args: [String], message: String) {
    do {
        _ = try parseRun(args)
        Issue.record("expected an error")
    } catch {
        #expect(error.message == message)
    }
}

@Test func goIntegers() {
    #expect(GoParse.int("0x10") == 16)
    #expect(GoParse.int("010") == 8)
    #expect(GoParse.int("-5") == -5)
    #expect(GoParse.int("1_000") == nil)
    #expect(GoParse.int("abc") == nil)
}

@Test func runFlagsBecomeACreateRequest() throws {
    let f = try parseRun([
        "-it", "--rm", "--name", "web", "-e", "A=1", "-e", "HOME", "-l", "k=v", "-m", "512m", "--cpus", "1.5",
        "--restart", "no", "-p", "127.0.0.1:8080:80/tcp", "-v", "/src:/dst:ro", "-v", "/anon", "--log-opt", "max-size=1m",
        "--health-cmd", "true", "--health-interval", "10s", "--stop-timeout", "5", "busybox", "sh", "-c", "echo hi",
    ])
    let r = try ContainerOptions.request(f, environment: ["HOME": "/root"], workingDirectory: "/work")
    let c = r.body
    #expect(r.name == "web" && r.tty && r.openStdin && r.attachStdin && r.autoRemove)
    #expect(c["Env"]?.strings == ["A=1", "HOME=/root"])
    #expect(c["Cmd"]?.strings == ["sh", "-c", "echo hi"])
    #expect(c["StdinOnce"]?.bool == true)
    #expect(c["Labels"]?["k"]?.string == "v")
    #expect(c["StopTimeout"]?.int == 5)
    #expect(c["Volumes"]?["/anon"] != nil)
    #expect(c["ExposedPorts"]?["80/tcp"] != nil)
    #expect(c["Healthcheck"]?["Test"]?.strings == ["CMD-SHELL", "true"])
    #expect(c["Healthcheck"]?["Interval"]?.int == 10_000_000_000)
    let h = c["HostConfig"]
    #expect(h?["Memory"]?.int == 536_870_912)
    #expect(h?["NanoCpus"]?.int == 1_500_000_000)
    #expect(h?["AutoRemove"]?.bool == true)
    #expect(h?["Binds"]?.strings == ["/src:/dst:ro"])
    #expect(h?["PortBindings"]?["80/tcp"]?.array?.first?["HostIp"]?.string == "127.0.0.1")
    #expect(h?["PortBindings"]?["80/tcp"]?.array?.first?["HostPort"]?.string == "8080")
    #expect(h?["LogConfig"]?["Config"]?["max-size"]?.string == "1m")
    #expect(h?["RestartPolicy"]?["Name"]?.string == "no")
}

@Test func restartPolicies() throws {
    let p = try ContainerOptions.restartPolicy("on-failure:3")
    #expect(p["Name"]?.string == "on-failure" && p["MaximumRetryCount"]?.int == 3)
    #expect(throws: CLIError.self) { try ContainerOptions.restartPolicy("on-failure:x") }
    #expect(throws: CLIError.self) { try ContainerOptions.restartPolicy(":3") }
}

@Test func restartConflictsWithRm() throws {
    let f = try parseRun(["--rm", "--restart", "always", "busybox"])
    #expect(throws: CLIError.self) { try ContainerOptions.request(f, environment: [:], workingDirectory: "/") }
}

@Test func envFiles() throws {
    let path = "/tmp/skiff-cli-test-\(getpid()).env"
    let text = "\u{FEFF}# comment\n\nA=1\n  B=two words\nHOME\nMISSING\n"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    _ = text.withCString { write(fd, $0, strlen($0)) }
    close(fd)
    defer { unlink(path) }
    #expect(try ContainerOptions.readKeyValueFile(path, environment: ["HOME": "/root"]) == ["A=1", "B=two words", "HOME=/root"])
    #expect(try ContainerOptions.readKeyValueFile(path, environment: nil) == ["A=1", "B=two words"])
}

import Glibc

@Test func mountOptions() throws {
    let bind = try MountOption.parse("type=bind,source=./data,target=/d,readonly,bind-propagation=rshared", workingDirectory: "/work")
    #expect(bind.compact == #"{"Type":"bind","Source":"/work/data","Target":"/d","ReadOnly":true,"BindOptions":{"Propagation":"rshared"}}"#)
    let tmpfs = try MountOption.parse("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770")
    #expect(tmpfs["TmpfsOptions"]?["SizeBytes"]?.int == 1_048_576)
    #expect(tmpfs["TmpfsOptions"]?["Mode"]?.int == 0o1770)
    let volume = try MountOption.parse(#""source=v1","target=/v",volume-opt=o=addr=1,volume-nocopy"#)
    #expect(volume["Type"]?.string == "volume")
    #expect(volume["VolumeOptions"]?["NoCopy"]?.bool == true)
    #expect(volume["VolumeOptions"]?["DriverConfig"]?["Options"]?["o"]?.string == "addr=1")
    for bad in ["source=/x", "readonly", "type=bind,target=/x,tmpfs-size=1", "type=bind,target=/x,bogus=1"] {
        #expect(throws: ParseError.self) { try MountOption.parse(bad) }
    }
}

@Test func hostsChosenInDockersOrder() throws {
    #expect(try Session(hostOption: nil, environment: [:]).client().address == .default)
    #expect(try Session(hostOption: nil, environment: ["DOCKER_HOST": "unix:///d.sock"]).client().address == .unix("/d.sock"))
    let both = ["DOCKER_HOST": "unix:///d.sock", "SKIFF_HOST": "unix:///s.sock"]
    #expect(try Session(hostOption: nil, environment: both).client().address == .unix("/s.sock"))
    #expect(try Session(hostOption: "tcp://h:1", environment: both).client().address == .tcp(host: "h", port: 1))
}

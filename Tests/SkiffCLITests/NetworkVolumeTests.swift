import Testing

@testable import SkiffCLI

private func parse(_ spec: CommandSpec, _ args: [String]) throws(FlagError) -> ParsedFlags {
    try FlagParser(flags: spec.flags, interspersed: spec.interspersed, shortHelp: spec.shortHelp).parse(args)
}

private func networkCreate(_ args: [String], version: APIVersion = APIVersion(1, 47)) throws -> JSON {
    try NetworkCreateCommand.request(parse(NetworkCreateCommand.spec, args), name: "n", apiVersion: version)
}

// MARK: network create

@Test func networkCreateDefaultsAsDockerSendsThem() throws {
    let body = try networkCreate([])
    #expect(body.compact == #"{"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"n"}"#)
}

@Test func networkCreateFlagsBecomeTheRequest() throws {
    let body = try networkCreate([
        "-d", "macvlan", "--scope", "local", "--internal", "--attachable", "--ipv6", "--ipv4=false",
        "--label", "b=2", "--label", "a", "--label", "b=3", "-o", "mtu=1400", "--opt", "parent=eth0",
        "--ipam-driver", "custom", "--ipam-opt", "x=y", "--config-from", "base",
        "--subnet", "10.1.0.0/16,fd00::/64", "--gateway", "10.1.0.1", "--ip-range", "10.1.2.0/24",
        "--aux-address", "router=10.1.0.2", "--aux-address", "r6=fd00::2",
    ])
    #expect(body["Driver"]?.string == "macvlan" && body["Scope"]?.string == "local")
    #expect(body["Internal"]?.bool == true && body["Attachable"]?.bool == true)
    #expect(body["EnableIPv4"]?.bool == false && body["EnableIPv6"]?.bool == true)
    #expect(body["Labels"]?.compact == #"{"a":"","b":"3"}"#)
    #expect(body["Options"]?.compact == #"{"mtu":"1400","parent":"eth0"}"#)
    #expect(body["ConfigFrom"]?.compact == #"{"Network":"base"}"#)
    #expect(body["IPAM"]?.compact == #"{"Driver":"custom","Options":{"x":"y"},"Config":[{"Subnet":"10.1.0.0/16","IPRange":"10.1.2.0/24","Gateway":"10.1.0.1","AuxiliaryAddresses":{"router":"10.1.0.2"}},{"Subnet":"fd00::/64","AuxiliaryAddresses":{"r6":"fd00::2"}}]}"#)
    #expect(body["CheckDuplicate"] == nil)
}

@Test func networkCreateAsksOldDaemonsToRefuseDuplicates() throws {
    #expect(try networkCreate([], version: APIVersion(1, 41))["CheckDuplicate"]?.bool == true)
    #expect(try networkCreate([], version: APIVersion(1, 44))["CheckDuplicate"] == nil)
}

@Test func networkCreateIPAMErrorsAreDockers() throws {
    func error(_ args: [String]) -> String? {
        do { _ = try networkCreate(args); return nil } catch { return (error as? CLIError)?.message }
    }
    #expect(error(["--gateway", "10.0.0.1"]) == "every ip-range or gateway must have a corresponding subnet")
    #expect(error(["--subnet", "10.0.0.0/8", "--subnet", "10.1.0.0/16"]) == "multiple overlapping subnet configuration is not supported")
    #expect(error(["--subnet", "10.0.0.0/24", "--subnet", "bogus"]) == "invalid subnet: invalid CIDR address: bogus")
    #expect(error(["--subnet", "10.0.0.0/24", "--ip-range", "10.1.0.0/24"]) == "no matching subnet for range 10.1.0.0/24")
    #expect(error(["--subnet", "10.0.0.0/24", "--ip-range", "bogus"]) == "invalid CIDR address: bogus")
    #expect(error(["--subnet", "10.0.0.0/24", "--gateway", "bogus"]) == "no matching subnet for gateway bogus")
    #expect(error(["--subnet", "10.0.0.0/24", "--aux-address", "a=10.2.0.1"]) == "no matching subnet for aux-address 10.2.0.1")
    #expect(error(["--subnet", "10.0.0.0/16", "--subnet", "10.1.0.0/16", "--ip-range", "10.0.1.0/24,10.0.2.0/24"])
        == "cannot configure multiple ranges (10.0.2.0/24, 10.0.1.0/24) on the same subnet (10.0.0.0/16)")
    #expect(error(["--subnet", "10.0.0.0/24", "--subnet", "10.5.0.0/24", "--gateway", "10.0.0.1,10.0.0.2"])
        == "cannot configure multiple gateways (10.0.0.2, 10.0.0.1) for the same subnet (10.0.0.0/24)")
    // A lone bad subnet is the daemon's to refuse, as with docker.
    #expect(error(["--subnet", "bogus"]) == nil)
}

@Test func ipNetworksAsGoReadsThem() throws {
    let v4 = try #require(IPNetwork(cidr: "10.1.0.0/16"))
    #expect(v4.contains(IPNetwork.parseIP("10.1.255.3")!))
    #expect(!v4.contains(IPNetwork.parseIP("10.2.0.1")!))
    #expect(v4.contains(IPNetwork.parseIP("::ffff:10.1.0.9")!))
    #expect(!v4.contains(IPNetwork.parseIP("fd00::1")!))
    let v6 = try #require(IPNetwork(cidr: "fd00:1::/33"))
    #expect(v6.contains(IPNetwork.parseIP("fd00:1:7fff::1")!))
    #expect(!v6.contains(IPNetwork.parseIP("fd00:1:8000::1")!))
    #expect(IPNetwork(cidr: "10.0.0.0/0")?.contains(IPNetwork.parseIP("1.2.3.4")!) == true)
    #expect(IPNetwork(cidr: "10.0.0.0/033")?.prefix == nil)
    #expect(IPNetwork(cidr: "10.0.0.0/024")?.prefix == 24)
    for bad in ["10.0.0.0", "10.0.0.0/", "10.0.0.0/+8", "10.0.0.0/33", "fd00::/129", "010.0.0.0/8", "fe80::1%eth0/64", "x/8"] {
        #expect(IPNetwork(cidr: bad) == nil, "\(bad)")
    }
}

// MARK: flags

@Test func stringSliceFlagsReadCSV() throws {
    #expect(try CSV.record("a,b") == ["a", "b"])
    #expect(try CSV.record(#""a,b",c"#) == ["a,b", "c"])
    #expect(try CSV.record(#""say ""hi""""#) == [#"say "hi""#])
    #expect(try CSV.record("") == [])
    #expect(try CSV.record(",") == ["", ""])
    #expect(try CSV.record("a\nb") == ["a"])
    func failure(_ text: String) -> String? {
        do { _ = try CSV.record(text); return nil } catch { return error.message }
    }
    #expect(failure(#"a"b"#) == #"parse error on line 1, column 2: bare " in non-quoted-field"#)
    #expect(failure(#""a"b"#) == #"parse error on line 1, column 3: extraneous or missing " in quoted-field"#)
    #expect(failure(#""abc"#) == #"parse error on line 1, column 5: extraneous or missing " in quoted-field"#)
    let f = try parse(NetworkCommand.connect, ["--alias", "a,b", "--alias", "c"])
    #expect(f.slice("alias") == ["a", "b", "c"])
}

@Test func labelAndLinkFlagsAreCheckedAsDockerDoes() {
    #expect(ValueType.label.check("a=b") == nil)
    #expect(ValueType.label.check("  a=b") == nil)
    #expect(ValueType.label.check("=b") == "invalid label '=b': empty name")
    #expect(ValueType.label.check("a b=c") == "label 'a b' contains whitespaces")
    #expect(ValueType.link.check("db:alias") == nil)
    #expect(ValueType.link.check("a:b:c") == "bad format for links: a:b:c")
    #expect(ValueType.link.check("") == "empty string specified for links")
}

// MARK: connect, volumes

@Test func networkConnectBodyIsAnEndpointSettings() throws {
    let f = try parse(NetworkCommand.connect, [
        "--alias", "web,www", "--ip", "10.1.0.9", "--link", "db:database", "--link-local-ip", "169.254.0.9",
        "--driver-opt", " b = 2 ", "--driver-opt", "a=1",
    ])
    let body = try NetworkCommand.connectRequest(f, container: "c1")
    #expect(body.compact == #"{"Container":"c1","EndpointConfig":{"IPAMConfig":{"IPv4Address":"10.1.0.9","LinkLocalIPs":["169.254.0.9"]},"Links":["db:database"],"Aliases":["web","www"],"MacAddress":"","DriverOpts":{"a":"1","b":"2"},"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}"#)
    let plain = try NetworkCommand.connectRequest(parse(NetworkCommand.connect, []), container: "c1")
    #expect(plain["EndpointConfig"]?["IPAMConfig"]?.compact == "{}")
    #expect(plain["EndpointConfig"]?["Links"] == .null)
    #expect(throws: CLIError.self) { try NetworkCommand.connectRequest(parse(NetworkCommand.connect, ["--driver-opt", "x"]), container: "c") }
    #expect(throws: CLIError.self) { try NetworkCommand.connectRequest(parse(NetworkCommand.connect, ["--driver-opt", " =x"]), container: "c") }
}

@Test func volumeCreateLeavesEmptyFieldsOut() throws {
    #expect(try VolumeCommand.createRequest(parse(VolumeCommand.create, []), name: "").compact == #"{"Driver":"local"}"#)
    let f = try parse(VolumeCommand.create, ["-d", "", "--label", "z=1", "--label", "a", "-o", "type=tmpfs", "-o", "o=size=1m"])
    #expect(try VolumeCommand.createRequest(f, name: "data").compact
        == #"{"DriverOpts":{"o":"size=1m","type":"tmpfs"},"Labels":{"a":"","z":"1"},"Name":"data"}"#)
}

@Test func volumeCreateClusterOptionsBecomeASpec() throws {
    let f = try parse(VolumeCommand.create, [
        "--group", "g", "--type", "mount", "--limit-bytes", "1k", "--secret", "b=s2", "--secret", "a=s1",
        "--topology-required", "region=r1,zone=z1",
    ])
    #expect(try VolumeCommand.createRequest(f, name: "v").compact == #"{"ClusterVolumeSpec":{"Group":"g","AccessMode":{"Scope":"single","Sharing":"none","MountVolume":{}},"AccessibilityRequirements":{"Requisite":[{"Segments":{"region":"r1","zone":"z1"}}]},"CapacityRange":{"RequiredBytes":0,"LimitBytes":1024},"Secrets":[{"Key":"a","Secret":"s1"},{"Key":"b","Secret":"s2"}],"Availability":"active"},"Driver":"local","Name":"v"}"#)
    // --secret alone is no cluster option (docker checks a "secrets" flag that does not exist).
    #expect(try VolumeCommand.createRequest(parse(VolumeCommand.create, ["--secret", "a=b"]), name: "").compact == #"{"Driver":"local"}"#)
}

@Test func volumeInspectIsReMarshalledAsDockersStruct() throws {
    let raw = try JSON.parse(#"{"Name":"v","Scope":"local","Options":{"z":"1","a":"2"},"Driver":"local","CreatedAt":"2024-01-01T00:00:00Z","Mountpoint":"/m","Status":{},"UsageData":{"Size":5,"RefCount":1},"Extra":1}"#)
    #expect(DockerTypes.volume.marshal(raw).compact == #"{"CreatedAt":"2024-01-01T00:00:00Z","Driver":"local","Labels":null,"Mountpoint":"/m","Name":"v","Options":{"a":"2","z":"1"},"Scope":"local","UsageData":{"RefCount":1,"Size":5}}"#)
}

@Test func volumeRows() throws {
    let v = try JSON.parse(#"{"Name":"data","Driver":"local","Labels":{"b":"2","a":"1"},"UsageData":{"RefCount":2,"Size":2048}}"#)
    let out = try Formatter(format: "table {{.Name}}\t{{.Labels}}\t{{.Links}}\t{{.Size}}\t{{.Group}}\t{{.Status}}\t{{.Label \"a\"}}")
        .render([VolumeRecord(volume: v)], header: VolumeRecord.header)
    #expect(out == "VOLUME NAME   LABELS    LINKS     SIZE      GROUP     STATUS    a\ndata          a=1,b=2   2         2.048kB   N/A       N/A       1\n")
}

@Test func networkRowsAndTheirJSON() throws {
    let n = try JSON.parse(#"{"Name":"web","Id":"0123456789abcdef0123","Created":"2024-05-01T10:00:00.120Z","Scope":"local","Driver":"bridge","Internal":true,"Labels":{"x":"<y>"}}"#)
    let row = NetworkRecord(summary: n, truncate: true)
    #expect(row.json.compactEscapingHTML == #"{"CreatedAt":"2024-05-01 10:00:00.12 +0000 UTC","Driver":"bridge","ID":"0123456789ab","IPv4":"false","IPv6":"false","Internal":"true","Labels":"x=\u003cy\u003e","Name":"web","Scope":"local"}"#)
    let table = try Formatter(format: "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}").render([row], header: NetworkRecord.header)
    #expect(table == "NETWORK ID     NAME      DRIVER    SCOPE\n0123456789ab   web       bridge    local\n")
}

@Test func typedNetworkTemplatesPrintStructsAndTimes() throws {
    let n = try JSON.parse(#"{"Name":"web","Id":"abc","Created":"2024-05-01T10:00:00.5Z","IPAM":{"Driver":"default","Options":null,"Config":[{"Subnet":"10.9.0.0/24","Gateway":"10.9.0.1"}]},"ConfigFrom":{"Network":""},"Containers":{}}"#)
    let t = try GoTemplate("{{.ID}}|{{.Created}}|{{.IPAM}}|{{.IPAM.Config}}|{{.ConfigFrom}}|{{.Containers}}|{{.Peers}}")
    #expect(try t.execute(.typed(n, DockerTypes.network))
        == "abc|2024-05-01 10:00:00.5 +0000 UTC|{default map[] [{10.9.0.0/24  10.9.0.1 map[]}]}|[{10.9.0.0/24  10.9.0.1 map[]}]|{}|map[]|[]")
    #expect(throws: TemplateExecError.self) { try GoTemplate("{{.Foo}}").execute(.typed(n, DockerTypes.network)) }
}

@Test func goTimeStringOfDecodedTimes() {
    #expect(GoTime.string(rfc3339: "2026-11-26T20:53:12.162732723Z") == "2026-11-26 20:53:12.162732723 +0000 UTC")
    #expect(GoTime.string(rfc3339: "2026-11-26T20:53:12.100Z") == "2026-11-26 20:53:12.1 +0000 UTC")
    #expect(GoTime.string(rfc3339: "0001-01-01T00:00:00Z") == "0001-01-01 00:00:00 +0000 UTC")
    #expect(GoTime.string(rfc3339: "nonsense") == nil)
}

// MARK: port, order

@Test func portLinesAsDockerPrintsThem() throws {
    let ports = try #require(try JSON.parse(#"{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"},{"HostIp":"::","HostPort":"8080"}],"9000/udp":[{"HostIp":"127.0.0.1","HostPort":"9000"}],"10/tcp":[{"HostIp":"0.0.0.0","HostPort":"1"}],"99/tcp":null}"#).object)
    #expect(try PortCommand.mappings(ports, privatePort: nil, container: "c")
        == ["10/tcp -> 0.0.0.0:1", "80/tcp -> 0.0.0.0:8080", "80/tcp -> [::]:8080", "9000/udp -> 127.0.0.1:9000"])
    #expect(try PortCommand.mappings(ports, privatePort: "80", container: "c") == ["0.0.0.0:8080", "[::]:8080"])
    #expect(try PortCommand.mappings(ports, privatePort: "9000/udp", container: "c") == ["127.0.0.1:9000"])
    func failure(_ port: String) -> String? {
        do { _ = try PortCommand.mappings(ports, privatePort: port, container: "c"); return nil } catch { return error.message }
    }
    #expect(failure("99") == "Error: No public port '99' published for c")
    #expect(failure("9000") == "Error: No public port '9000' published for c")
    #expect(failure("abc") == #"Error: invalid port (abc): strconv.ParseUint: parsing "abc": invalid syntax"#)
    #expect(failure("+80") == #"Error: invalid port (+80): strconv.ParseUint: parsing "+80": invalid syntax"#)
    #expect(failure("70000/tcp") == #"Error: invalid port (70000): strconv.ParseUint: parsing "70000": value out of range"#)
    #expect(failure("/tcp") == #"Error: invalid port (): strconv.ParseUint: parsing "": invalid syntax"#)
}

@Test func naturalOrder() {
    #expect(["n10", "n2", "n1", "a", "n02", "10", "B"].sorted(by: naturalLess) == ["10", "B", "a", "n1", "n2", "n02", "n10"])
    #expect(!naturalLess("abc", "abc"))
    #expect(naturalLess("abc", "abcd"))
}

// MARK: help

@Test func flagHelpWrapsAsPflag() {
    let out = Help.flagTable([
        .map("aux-address", "Auxiliary IPv4 or IPv6 addresses used by Network driver"),
        .value("config-from", .string, "The network from which to copy the configuration"),
        .bool("ipv4", "Enable or disable IPv4 address assignment", default: true),
    ], columns: 79)
    #expect(out == """
              --aux-address map      Auxiliary IPv4 or IPv6 addresses used by
                                     Network driver (default map[])
              --config-from string   The network from which to copy the configuration
              --ipv4                 Enable or disable IPv4 address assignment
                                     (default true)

        """)
}

@Test func jsonOfATypedNetworkIsGoMarshalled() throws {
    // Keys sorted (as skiffd writes them) and fields missing (as dockerd 20.10 leaves out).
    let n = try JSON.parse(#"{"IPAM":{"Config":[{"Subnet":"10.9.0.0/24","Gateway":"10.9.0.1"}],"Options":null,"Driver":"default"},"Name":"web","Id":"abc","Created":"2024-05-01T10:00:00Z","Labels":{"b":"1","a":"2"}}"#)
    let t = try GoTemplate("{{json .IPAM}}|{{json .}}")
    #expect(try t.execute(.typed(n, DockerTypes.network)) == #"{"Driver":"default","Options":null,"Config":[{"Subnet":"10.9.0.0/24","Gateway":"10.9.0.1"}]}|{"Name":"web","Id":"abc","Created":"2024-05-01T10:00:00Z","Scope":"","Driver":"","EnableIPv4":false,"EnableIPv6":false,"IPAM":{"Driver":"default","Options":null,"Config":[{"Subnet":"10.9.0.0/24","Gateway":"10.9.0.1"}]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":null,"Options":null,"Labels":{"a":"2","b":"1"}}"#)
}

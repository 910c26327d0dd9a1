import SkiffDNS
import Testing
@testable import SkiffNetwork

@Suite struct AddressTests {
    @Test func parsesAndPrintsAddresses() {
        #expect(IPv4Address("172.17.0.2")?.description == "172.17.0.2")
        #expect(IPv4Address("172.17.0.2")?.value == 0xAC11_0002)
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d", "1..2.3", "1.2.3.4 "] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
    }

    @Test func subnets() throws {
        let subnet = try #require(IPv4Subnet("172.18.0.0/16"))
        #expect(subnet.contains(IPv4Address("172.18.255.1")!))
        #expect(!subnet.contains(IPv4Address("172.19.0.1")!))
        #expect(subnet.broadcast.description == "172.18.255.255")
        #expect(subnet.host(1).description == "172.18.0.1")
        #expect(IPv4Subnet("10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(IPv4Subnet("10.1.2.3/8", strict: true) == nil)
        #expect(IPv4Subnet("10.0.0.0/33") == nil)
        #expect(subnet.overlaps(IPv4Subnet("172.18.4.0/24")!))
        #expect(!subnet.overlaps(IPv4Subnet("172.19.0.0/16")!))
    }

    @Test func macFromAddress() {
        #expect(MACAddress(for: IPv4Address("172.17.0.2")!).description == "02:42:ac:11:00:02")
    }

    @Test func addressesAreHandedOutOnce() throws {
        var network = Network(id: "n", name: "n", driver: .bridge, created: "")
        network.subnet = IPv4Subnet("10.9.0.0/29")
        network.gateway = IPv4Address("10.9.0.1")
        var used = Set<IPv4Address>()
        for expected in ["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"] {
            let a = try Networks.chooseAddress(network, requested: nil, used: used)
            #expect(a.description == expected)
            used.insert(a)
        }
        #expect(throws: NetworkError.self) { try Networks.chooseAddress(network, requested: nil, used: used) }
        #expect(throws: NetworkError.self) { try Networks.chooseAddress(network, requested: IPv4Address("10.9.0.3"), used: used) }
        #expect(throws: NetworkError.self) { try Networks.chooseAddress(network, requested: IPv4Address("10.9.0.1"), used: []) }
        #expect(throws: NetworkError.self) { try Networks.chooseAddress(network, requested: IPv4Address("10.10.0.3"), used: []) }
        network.ipRange = IPv4Subnet("10.9.0.4/30")
        #expect(try Networks.chooseAddress(network, requested: nil, used: []).description == "10.9.0.5")
    }
}

@Suite struct FirewallScriptTests {
    @Test func rendersBridgesPortsAndIsolation() {
        var a = Network(id: "a", name: "a", driver: .bridge, created: "")
        a.subnet = IPv4Subnet("172.18.0.0/16")
        a.bridge = "br-a"
        var b = a
        b.id = "b"; b.name = "b"; b.bridge = "br-b"; b.subnet = IPv4Subnet("172.19.0.0/16"); b.isInternal = true
        let port = PortMapping(proto: "tcp", containerPort: 80, hostIP: IPv4Address("127.0.0.1")!, hostPort: 8080)
        let any = PortMapping(proto: "udp", containerPort: 53, hostIP: IPv4Address(0), hostPort: 5353)
        let script = Firewall.script(.init(networks: [a, b], ports: [(port, IPv4Address("172.18.0.2")!), (any, IPv4Address("172.18.0.3")!)]))
        #expect(script.hasPrefix("table ip skiff {}\ndelete table ip skiff\n"))
        #expect(script.contains("elements = { 127.0.0.1 . 8080 : 172.18.0.2 . 80 }"))
        #expect(script.contains("elements = { 5353 : 172.18.0.3 . 53 }"))
        #expect(script.contains("ip saddr 172.18.0.0/16 oifname != \"br-a\" masquerade"))
        #expect(!script.contains("ip saddr 172.19.0.0/16 oifname != \"br-b\" masquerade"))
        #expect(script.contains("iifname \"br-b\" oifname != \"br-b\" drop"))
        #expect(script.contains("iifname \"br-a\" oifname { \"br-b\" } drop"))
    }
}

@Suite struct NetlinkEncodingTests {
    @Test func attributesArePaddedAndNested() {
        var attributes = NetlinkAttributes()
        attributes.add(3, string: "eth0")
        attributes.nest(18) { $0.add(1, string: "veth") }
        #expect(attributes.bytes.count == 12 + 16)
        #expect(attributes.bytes[0..<4] == [9, 0, 3, 0])
        #expect(attributes.bytes[12..<16] == [16, 0, 18, 0x80])
        let parsed = NetlinkAttributes.parse(attributes.bytes[...])
        #expect(parsed[3].map { Array($0) } == Array("eth0".utf8) + [0])
        #expect(parsed[18].map { NetlinkAttributes.parse($0)[1].map(Array.init) } == Array("veth".utf8) + [0])
    }
}

@Suite struct NameTableTests {
    @Test func answersWithTheNamesOfTheAskingContainersNetworks() {
        let names = NameTable()
        let ip = { (s: String) in IPv4Address(s)! }
        names.set("a", [.init(name: "web", address: ip("172.18.0.2"), container: "c1"),
                        .init(name: "lonely", address: ip("172.18.0.3"), container: "c3")], networkName: "front")
        names.set("b", [.init(name: "web", address: ip("172.19.0.2"), container: "c1"),
                        .init(name: "db", address: ip("172.19.0.3"), container: "c2")], networkName: "back")
        // c1 is on both: it finds db (on back) through front's server.
        #expect(names.addresses(of: "db", network: "a", client: ip("172.18.0.2")) == [ip("172.19.0.3")])
        #expect(names.addresses(of: "DB.back", network: "a", client: ip("172.18.0.2")) == [ip("172.19.0.3")])
        // c3 is on front only: back's names are not its to know.
        #expect(names.addresses(of: "db", network: "a", client: ip("172.18.0.3")) == nil)
        #expect(names.addresses(of: "web", network: "a", client: ip("172.18.0.3")) == [ip("172.18.0.2")])
        #expect(names.addresses(of: "web.front", network: "a", client: ip("10.0.0.1")) == [ip("172.18.0.2")])
        #expect(names.name(of: ip("172.19.0.3"), network: "a", client: ip("172.18.0.2")) == "db.back")
        #expect(names.name(of: ip("172.19.0.3"), network: "a", client: ip("172.18.0.3")) == nil)
    }
}

import SkiffDNS
import Glibc

/// rtnetlink message types and attributes used here (linux/rtnetlink.h, if_link.h).
enum RTM {
    static let newLink: UInt16 = 16, delLink: UInt16 = 17, getLink: UInt16 = 18, setLink: UInt16 = 19
    static let newAddr: UInt16 = 20, delAddr: UInt16 = 21, getAddr: UInt16 = 22
    static let newRoute: UInt16 = 24, getRoute: UInt16 = 26
}

enum IFLA {
    static let address: UInt16 = 1, ifname: UInt16 = 3, mtu: UInt16 = 4, master: UInt16 = 10
    static let protinfo: UInt16 = 12, linkinfo: UInt16 = 18, netnsFD: UInt16 = 28
    static let infoKind: UInt16 = 1, infoData: UInt16 = 2
    static let vethPeer: UInt16 = 1
    static let brportMode: UInt16 = 4
}

let IFF_UP_FLAG: UInt32 = 1

/// A link as a dump reports it.
struct LinkInfo {
    var index: Int32
    var name: String
    var master: Int32?
    var kind: String?
}

extension Netlink {
    /// The index of link `name`, or nil if there is none.
    mutating func linkIndex(_ name: String) throws(NetworkError) -> Int32? {
        var message = NetlinkMessage.link(RTM.getLink)
        message.attributes.add(IFLA.ifname, string: name)
        do {
            let replies = try request(message, "find link \(name)")
            guard let reply = replies.first(where: { $0.type == RTM.newLink }), reply.payload.count >= 16 else { return nil }
            return Int32(bitPattern: reply.payload.u32(4))
        } catch where error.message.hasSuffix(String(cString: strerror(ENODEV))) {
            return nil
        }
    }

    /// Every link of this namespace.
    mutating func links() throws(NetworkError) -> [LinkInfo] {
        try dump(NetlinkMessage.link(RTM.getLink), "list links").compactMap { reply in
            guard reply.type == RTM.newLink, reply.payload.count >= 16 else { return nil }
            let attributes = NetlinkAttributes.parse(reply.payload[16...])
            guard let name = attributes[IFLA.ifname].map(Self.string) else { return nil }
            let master = attributes[IFLA.master].map { Int32(bitPattern: Array($0).u32(0)) }
            let kind = attributes[IFLA.linkinfo].flatMap { NetlinkAttributes.parse($0)[IFLA.infoKind] }.map(Self.string)
            return LinkInfo(index: Int32(bitPattern: reply.payload.u32(4)), name: name, master: master, kind: kind)
        }
    }

    /// A bridge device, up, with an address of its own: a bridge left to choose takes its
    /// lowest port's address and changes it as containers come and go, and the containers'
    /// ARP entries for the gateway then point nowhere until they expire (as dockerd, a
    /// random address set once).
    mutating func createBridge(_ name: String) throws(NetworkError) {
        var message = NetlinkMessage.link(RTM.newLink, flags: IFF_UP_FLAG, change: IFF_UP_FLAG)
        message.flags = NetlinkMessage.create
        message.attributes.add(IFLA.ifname, string: name)
        message.attributes.add(IFLA.address, MACAddress.random().bytes)
        message.attributes.nest(IFLA.linkinfo) { $0.add(IFLA.infoKind, string: "bridge") }
        try request(message, "create bridge \(name)")
    }

    /// A veth pair: `host` up on `master`, its peer `peer` (with `mac`) created
    /// directly in the namespace `namespaceFD`, up.
    mutating func createVeth(host: String, master: Int32, peer: String, mac: MACAddress, namespaceFD: Int32) throws(NetworkError) {
        var message = NetlinkMessage.link(RTM.newLink, flags: IFF_UP_FLAG, change: IFF_UP_FLAG)
        message.flags = NetlinkMessage.create
        message.attributes.add(IFLA.ifname, string: host)
        message.attributes.add(IFLA.master, u32: UInt32(bitPattern: master))
        message.attributes.nest(IFLA.linkinfo) { info in
            info.add(IFLA.infoKind, string: "veth")
            info.nest(IFLA.infoData) { data in
                var peerAttributes = NetlinkAttributes()
                peerAttributes.add(IFLA.ifname, string: peer)
                peerAttributes.add(IFLA.address, mac.bytes)
                peerAttributes.add(IFLA.netnsFD, u32: UInt32(bitPattern: namespaceFD))
                data.add(IFLA.vethPeer, NetlinkMessage.ifinfo() + peerAttributes.bytes)
            }
        }
        try request(message, "create veth \(host)")
    }

    /// Lets frames leave a bridge port on the port they came in (hairpin NAT to oneself).
    mutating func setHairpin(_ index: Int32) throws(NetworkError) {
        var message = NetlinkMessage.link(RTM.setLink, family: UInt8(AF_BRIDGE), index: index)
        message.attributes.nest(IFLA.protinfo) { $0.add(IFLA.brportMode, u8: 1) }
        try request(message, "set hairpin mode on link \(index)")
    }

    mutating func setUp(_ index: Int32) throws(NetworkError) {
        try request(NetlinkMessage.link(RTM.newLink, index: index, flags: IFF_UP_FLAG, change: IFF_UP_FLAG), "set link \(index) up")
    }

    /// Deletes link `name`; a missing link is not an error.
    mutating func deleteLink(_ name: String) throws(NetworkError) {
        var message = NetlinkMessage.link(RTM.delLink)
        message.attributes.add(IFLA.ifname, string: name)
        do {
            try request(message, "delete link \(name)")
        } catch where error.message.hasSuffix(String(cString: strerror(ENODEV))) {}
    }

    /// Adds `address/prefix` to link `index`.
    mutating func addAddress(_ address: IPv4Address, prefix: Int, index: Int32) throws(NetworkError) {
        var header: [UInt8] = [UInt8(AF_INET), UInt8(prefix), 0, 0]
        header.append(u32: UInt32(bitPattern: index))
        var message = NetlinkMessage(type: RTM.newAddr, flags: NetlinkMessage.create, header: header)
        message.attributes.add(2 /* IFA_LOCAL */, address.bytes)
        message.attributes.add(1 /* IFA_ADDRESS */, address.bytes)
        if prefix < 31 { message.attributes.add(4 /* IFA_BROADCAST */, IPv4Subnet(address, prefix: prefix).broadcast.bytes) }
        try request(message, "add address \(address)/\(prefix) to link \(index)")
    }

    /// The IPv4 addresses of this namespace, as subnets.
    mutating func addresses() throws(NetworkError) -> [IPv4Subnet] {
        try linkAddresses().map { IPv4Subnet($0.address, prefix: $0.prefix) }
    }

    /// The IPv4 addresses of this namespace with their links.
    mutating func linkAddresses() throws(NetworkError) -> [(index: Int32, address: IPv4Address, prefix: Int)] {
        let message = NetlinkMessage(type: RTM.getAddr, header: [UInt8(AF_INET), 0, 0, 0, 0, 0, 0, 0])
        return try dump(message, "list addresses").compactMap { reply in
            guard reply.payload.count >= 8 else { return nil }
            let attributes = NetlinkAttributes.parse(reply.payload[8...])
            guard let bytes = attributes[2] ?? attributes[1], bytes.count == 4 else { return nil }
            return (Int32(bitPattern: reply.payload.u32(4)), IPv4Address(bytes: Array(bytes)), Int(reply.payload[1]))
        }
    }

    /// Removes `address/prefix` from link `index`.
    mutating func deleteAddress(_ address: IPv4Address, prefix: Int, index: Int32) throws(NetworkError) {
        var header: [UInt8] = [UInt8(AF_INET), UInt8(prefix), 0, 0]
        header.append(u32: UInt32(bitPattern: index))
        var message = NetlinkMessage(type: RTM.delAddr, header: header)
        message.attributes.add(2 /* IFA_LOCAL */, address.bytes)
        try request(message, "remove address \(address)/\(prefix) from link \(index)")
    }

    /// The destinations of the main table's IPv4 routes (the default route excluded).
    mutating func routes() throws(NetworkError) -> [IPv4Subnet] {
        let message = NetlinkMessage(type: RTM.getRoute, header: [UInt8(AF_INET), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        return try dump(message, "list routes").compactMap { reply in
            guard reply.payload.count >= 12, reply.payload[1] > 0, reply.payload[4] == 254 else { return nil }
            let attributes = NetlinkAttributes.parse(reply.payload[12...])
            guard let bytes = attributes[1], bytes.count == 4 else { return nil }
            return IPv4Subnet(IPv4Address(bytes: Array(bytes)), prefix: Int(reply.payload[1]))
        }
    }

    /// `default via gateway dev index`.
    mutating func addDefaultRoute(via gateway: IPv4Address, index: Int32) throws(NetworkError) {
        // struct rtmsg: family, dst_len, src_len, tos, table (main), protocol (boot), scope (universe), type (unicast), flags.
        var header: [UInt8] = [UInt8(AF_INET), 0, 0, 0, 254, 3, 0, 1]
        header.append(u32: 0)
        var message = NetlinkMessage(type: RTM.newRoute, flags: NetlinkMessage.create, header: header)
        message.attributes.add(5 /* RTA_GATEWAY */, gateway.bytes)
        message.attributes.add(4 /* RTA_OIF */, u32: UInt32(bitPattern: index))
        try request(message, "add default route via \(gateway)")
    }

    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

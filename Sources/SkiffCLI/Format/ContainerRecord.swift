/// One `docker ps` row: docker's `ContainerContext` over a container summary.
struct ContainerRecord: TemplateRecord {
    let summary: JSON
    let truncate: Bool
    /// Notes the fields a template reads (ps asks for sizes only when `.Size` is used).
    var usage: FieldUsage?
    let now: Double

    static let header = HeaderRecord(columns: [
        "ID": "CONTAINER ID", "Names": "NAMES", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
        "RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE", "Status": "STATUS", "Size": "SIZE",
        "Labels": "LABELS", "Mounts": "MOUNTS", "LocalVolumes": "LOCAL VOLUMES", "Networks": "NETWORKS", "Platform": "PLATFORM",
    ])

    static let fields = ["Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Names", "Networks",
        "Platform", "Ports", "RunningFor", "Size", "State", "Status"]

    var typeName: String { "*formatter.ContainerContext" }

    func field(_ name: String, args: [TemplateValue]) throws(TemplateExecError) -> TemplateValue? {
        usage?.used.insert(name)
        if name == "Label" {
            guard args.count == 1 else { throw TemplateExecError("wrong number of args for Label: want 1 got \(args.count)") }
            guard let key = args[0].string else { throw TemplateExecError("wrong type for value; expected string; got \(args[0].typeName)") }
            return .string(summary["Labels"]?[key]?.string ?? "")
        }
        guard ContainerRecord.fields.contains(name) else { return nil }
        if !args.isEmpty { throw TemplateExecError("wrong number of args for \(name): want 0 got \(args.count)") }
        return value(name)
    }

    private func value(_ name: String) -> TemplateValue {
        let s = summary
        switch name {
        case "ID":
            let id = s["Id"]?.string ?? ""
            return .string(truncate ? truncateID(id) : id)
        case "Names":
            var names = s["Names"]?.strings.map { String($0.dropFirst()) } ?? []
            if truncate, let plain = names.first(where: { !$0.contains("/") }) { names = [plain] }
            return .string(names.joined(separator: ","))
        case "Image":
            return .string(image)
        case "Command":
            let command = s["Command"]?.string ?? ""
            return .string(goQuote(truncate ? ellipsis(command, 20) : command))
        case "CreatedAt":
            return .string(GoTime.string(seconds: Int64(s["Created"]?.int ?? 0)))
        case "RunningFor":
            return .string(Units.humanDuration(seconds: now - Double(s["Created"]?.int ?? 0)) + " ago")
        case "Ports":
            return .string(displayablePorts(s["Ports"]?.array ?? []))
        case "State":
            return .string(s["State"]?.string ?? "")
        case "Status":
            return .string(s["Status"]?.string ?? "")
        case "Size":
            let rw = Units.humanSize(Double(s["SizeRw"]?.int ?? 0))
            let rootfs = s["SizeRootFs"]?.int ?? 0
            return .string(rootfs > 0 ? "\(rw) (virtual \(Units.humanSize(Double(rootfs))))" : rw)
        case "Labels":
            guard let labels = s["Labels"]?.object else { return .string("") }
            return .string(labels.members.map { $0.key + "=" + ($0.value.string ?? "") }.sorted().joined(separator: ","))
        case "Mounts":
            let names = (s["Mounts"]?.array ?? []).map { m -> String in
                let n = m["Name"]?.string ?? ""
                let name = n.isEmpty ? m["Source"]?.string ?? "" : n
                return truncate ? ellipsis(name, 15) : name
            }
            return .string(names.joined(separator: ","))
        case "LocalVolumes":
            return .string(String((s["Mounts"]?.array ?? []).filter { $0["Driver"]?.string == "local" }.count))
        case "Networks":
            return .string(s["NetworkSettings"]?["Networks"]?.object?.keys.sorted().joined(separator: ",") ?? "")
        case "Platform":
            guard let p = s["ImageManifestDescriptor"]?["platform"], !p.isNull else { return .json(.null) }
            var text = (p["os"]?.string ?? "unknown") + "/" + (p["architecture"]?.string ?? "unknown")
            if let v = p["variant"]?.string, !v.isEmpty { text += "/" + v }
            return .string(text)
        default:
            return .noValue
        }
    }

    /// ContainerContext.Image: the familiar reference, the short id for images run by id.
    private var image: String {
        let image = summary["Image"]?.string ?? ""
        if image.isEmpty { return "<no image>" }
        guard truncate else { return image }
        let shortID = truncateID(summary["ImageID"]?.string ?? "")
        if shortID == truncateID(image) { return shortID }
        guard let ref = ImageName(image) else { return image }
        if let tag = ref.tag { return ref.familiarName + ":" + tag }
        return ref.familiarName
    }

    var json: JSON {
        .object(JSONObject(ContainerRecord.fields.map { (key: $0, value: value($0).jsonValue) }))
    }
}

/// The fields a template touched (shared between the probe run and its caller).
final class FieldUsage {
    var used: Set<String> = []
}

/// formatter.DisplayablePorts: "0.0.0.0:80->8080/tcp, 9000-9001/udp".
func displayablePorts(_ ports: [JSON]) -> String {
    struct Port {
        let ip: String, privatePort: Int, publicPort: Int, type: String
    }
    let sorted = ports.map {
        Port(ip: $0["IP"]?.string ?? "", privatePort: $0["PrivatePort"]?.int ?? 0, publicPort: $0["PublicPort"]?.int ?? 0, type: $0["Type"]?.string ?? "")
    }.sorted {
        if $0.privatePort != $1.privatePort { return $0.privatePort < $1.privatePort }
        if $0.ip != $1.ip { return $0.ip < $1.ip }
        if $0.publicPort != $1.publicPort { return $0.publicPort < $1.publicPort }
        return $0.type < $1.type
    }
    func hostPort(_ ip: String, _ port: String) -> String { ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)" }
    func group(_ key: String, _ first: Int, _ last: Int) -> String {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let ip = parts.count > 1 ? parts[0] : ""
        let type = parts.count > 1 ? parts[1] : parts[0]
        var g = String(first)
        if first != last { g += "-\(last)" }
        if !ip.isEmpty { g = hostPort(ip, g) + "->" + g }
        return g + "/" + type
    }
    var groups: [String: (first: Int, last: Int)] = [:]
    var order: [String] = []
    var result: [String] = []
    var hostMappings: [String] = []
    for p in sorted {
        var key = p.type
        if !p.ip.isEmpty {
            if p.publicPort != p.privatePort {
                hostMappings.append("\(hostPort(p.ip, String(p.publicPort)))->\(p.privatePort)/\(p.type)")
                continue
            }
            key = p.ip + "/" + p.type
        }
        guard let g = groups[key] else {
            groups[key] = (p.privatePort, p.privatePort)
            order.append(key)
            continue
        }
        if p.privatePort == g.last + 1 {
            groups[key] = (g.first, p.privatePort)
            continue
        }
        result.append(group(key, g.first, g.last))
        groups[key] = (p.privatePort, p.privatePort)
    }
    for key in order { result.append(group(key, groups[key]!.first, groups[key]!.last)) }
    return (result + hostMappings).joined(separator: ", ")
}

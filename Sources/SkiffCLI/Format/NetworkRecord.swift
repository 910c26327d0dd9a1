/// One `docker network ls` row: docker's `networkContext` over a network summary.
struct NetworkRecord: TemplateRecord {
    let summary: JSON
    let truncate: Bool

    static let header = HeaderRecord(columns: [
        "ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv4": "IPV4", "IPv6": "IPV6",
        "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT",
    ])

    static let fields = ["CreatedAt", "Driver", "ID", "IPv4", "IPv6", "Internal", "Labels", "Name", "Scope"]

    var typeName: String { "*network.networkContext" }

    func field(_ name: String, args: [TemplateValue]) throws(TemplateExecError) -> TemplateValue? {
        if name == "Label" {
            guard args.count == 1 else { throw TemplateExecError("wrong number of args for Label: want 1 got \(args.count)") }
            guard let key = args[0].string else { throw TemplateExecError("wrong type for value; expected string; got \(args[0].typeName)") }
            return .string(summary["Labels"]?[key]?.string ?? "")
        }
        guard NetworkRecord.fields.contains(name) else { return nil }
        if !args.isEmpty { throw TemplateExecError("wrong number of args for \(name): want 0 got \(args.count)") }
        return .string(value(name))
    }

    private func value(_ name: String) -> String {
        let s = summary
        switch name {
        case "ID":
            let id = s["Id"]?.string ?? ""
            return truncate ? truncateID(id) : id
        case "Name": return s["Name"]?.string ?? ""
        case "Driver": return s["Driver"]?.string ?? ""
        case "Scope": return s["Scope"]?.string ?? ""
        case "IPv4": return String(s["EnableIPv4"]?.bool ?? false)
        case "IPv6": return String(s["EnableIPv6"]?.bool ?? false)
        case "Internal": return String(s["Internal"]?.bool ?? false)
        case "Labels": return joinedLabels(s["Labels"])
        case "CreatedAt": return GoTime.string(rfc3339: s["Created"]?.string ?? "") ?? "0001-01-01 00:00:00 +0000 UTC"
        default: return ""
        }
    }

    var json: JSON {
        .object(JSONObject(NetworkRecord.fields.map { (key: $0, value: JSON.string(value($0))) }))
    }
}

/// Labels as docker's list formatters show them: "k=v,k2=v2" (sorted here; Go's map
/// order is random).
func joinedLabels(_ labels: JSON?) -> String {
    guard let labels = labels?.object else { return "" }
    return labels.members.map { $0.key + "=" + ($0.value.string ?? "") }.sorted().joined(separator: ",")
}

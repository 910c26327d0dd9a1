/// One `docker volume ls` row: docker's `volumeContext` over a volume.
struct VolumeRecord: TemplateRecord {
    let volume: JSON

    static let header = HeaderRecord(columns: [
        "ID": "ID", "Name": "VOLUME NAME", "Group": "GROUP", "Driver": "DRIVER", "Scope": "SCOPE",
        "Availability": "AVAILABILITY", "Mountpoint": "MOUNTPOINT", "Labels": "LABELS", "Links": "LINKS", "Size": "SIZE",
        "Status": "STATUS",
    ])

    static let fields = ["Availability", "Driver", "Group", "Labels", "Links", "Mountpoint", "Name", "Scope", "Size", "Status"]

    var typeName: String { "*formatter.volumeContext" }

    func field(_ name: String, args: [TemplateValue]) throws(TemplateExecError) -> TemplateValue? {
        if name == "Label" {
            guard args.count == 1 else { throw TemplateExecError("wrong number of args for Label: want 1 got \(args.count)") }
            guard let key = args[0].string else { throw TemplateExecError("wrong type for value; expected string; got \(args[0].typeName)") }
            return .string(volume["Labels"]?[key]?.string ?? "")
        }
        guard VolumeRecord.fields.contains(name) else { return nil }
        if !args.isEmpty { throw TemplateExecError("wrong number of args for \(name): want 0 got \(args.count)") }
        return .string(value(name))
    }

    private func value(_ name: String) -> String {
        let v = volume
        let usage = v["UsageData"].flatMap { $0.isNull ? nil : $0 }
        let cluster = v["ClusterVolume"].flatMap { $0.isNull ? nil : $0 }
        switch name {
        case "Name": return v["Name"]?.string ?? ""
        case "Driver": return v["Driver"]?.string ?? ""
        case "Scope": return v["Scope"]?.string ?? ""
        case "Mountpoint": return v["Mountpoint"]?.string ?? ""
        case "Labels": return joinedLabels(v["Labels"])
        case "Links": return usage.map { String($0["RefCount"]?.int ?? 0) } ?? "N/A"
        case "Size": return usage.map { Units.humanSize(Double($0["Size"]?.int ?? 0), precision: 4) } ?? "N/A"
        case "Group": return cluster.map { $0["Spec"]?["Group"]?.string ?? "" } ?? "N/A"
        case "Availability": return cluster.map { $0["Spec"]?["Availability"]?.string ?? "" } ?? "N/A"
        case "Status":
            guard let cluster else { return "N/A" }
            if (cluster["Info"]?["VolumeID"]?.string ?? "").isEmpty { return "pending creation" }
            let nodes = cluster["PublishStatus"]?.array?.count ?? 0
            switch nodes {
            case 0: return "created"
            case 1: return "in use (1 node)"
            default: return "in use (\(nodes) nodes)"
            }
        default: return ""
        }
    }

    var json: JSON {
        .object(JSONObject(VolumeRecord.fields.map { (key: $0, value: JSON.string(value($0))) }))
    }
}

/// One `docker history` row: docker's `historyContext`.
struct HistoryRecord: TemplateRecord {
    let item: JSON
    let truncate: Bool
    let human: Bool
    let now: Double

    static let header = HeaderRecord(columns: [
        "ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY",
        "Size": "SIZE", "Comment": "COMMENT",
    ])

    static let fields = ["Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size"]

    var typeName: String { "*image.historyContext" }

    func field(_ name: String, args: [TemplateValue]) throws(TemplateExecError) -> TemplateValue? {
        guard HistoryRecord.fields.contains(name) else { return nil }
        if !args.isEmpty { throw TemplateExecError("wrong number of args for \(name): want 0 got \(args.count)") }
        return .string(value(name))
    }

    private func value(_ name: String) -> String {
        let created = Int64(item["Created"]?.int ?? 0)
        switch name {
        case "ID":
            let id = item["Id"]?.string ?? ""
            return truncate ? truncateID(id) : id
        case "CreatedAt": return GoTime.rfc3339(seconds: created)
        case "CreatedSince":
            if !human { return GoTime.rfc3339(seconds: created) }
            if created <= 946_684_800 { return "N/A" }
            return Units.humanDuration(seconds: now - Double(created)) + " ago"
        case "CreatedBy":
            let by = (item["CreatedBy"]?.string ?? "").replacingOccurrences(of: "\t", with: " ")
            return truncate ? ellipsis(by, 45) : by
        case "Size":
            let size = item["Size"]?.int ?? 0
            return human ? Units.humanSize(Double(size)) : String(size)
        case "Comment": return item["Comment"]?.string ?? ""
        default: return ""
        }
    }

    var json: JSON {
        .object(JSONObject(HistoryRecord.fields.map { (key: $0, value: JSON.string(value($0))) }))
    }
}

/// One row of `docker system df`: docker's `diskUsage*Context` for images, containers,
/// local volumes or the build cache, its figures from `GET /system/df`.
struct DiskUsageRecord: TemplateRecord {
    enum Kind {
        case images, containers, volumes, buildCache
    }

    let kind: Kind
    let usage: JSON

    static let header = HeaderRecord(columns: [
        "Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE",
    ])

    static let fields = ["Active", "Reclaimable", "Size", "TotalCount", "Type"]

    /// The four rows, in docker's order.
    static func rows(_ usage: JSON) -> [DiskUsageRecord] {
        [.images, .containers, .volumes, .buildCache].map { DiskUsageRecord(kind: $0, usage: usage) }
    }

    var typeName: String {
        switch kind {
        case .images: "*formatter.diskUsageImagesContext"
        case .containers: "*formatter.diskUsageContainersContext"
        case .volumes: "*formatter.diskUsageVolumesContext"
        case .buildCache: "*formatter.diskUsageBuilderContext"
        }
    }

    func field(_ name: String, args: [TemplateValue]) throws(TemplateExecError) -> TemplateValue? {
        guard DiskUsageRecord.fields.contains(name) else { return nil }
        if !args.isEmpty { throw TemplateExecError("wrong number of args for \(name): want 0 got \(args.count)") }
        return .string(value(name))
    }

    var json: JSON {
        .object(JSONObject(DiskUsageRecord.fields.map { (key: $0, value: JSON.string(value($0))) }))
    }

    private var images: [JSON] { usage["Images"]?.array ?? [] }
    private var containers: [JSON] { usage["Containers"]?.array ?? [] }
    private var volumes: [JSON] { usage["Volumes"]?.array ?? [] }
    private var buildCache: [JSON] { usage["BuildCache"]?.array ?? [] }

    private func value(_ name: String) -> String {
        switch name {
        case "Type":
            switch kind {
            case .images: return "Images"
            case .containers: return "Containers"
            case .volumes: return "Local Volumes"
            case .buildCache: return "Build Cache"
            }
        case "TotalCount":
            switch kind {
            case .images: return String(images.count)
            case .containers: return String(containers.count)
            case .volumes: return String(volumes.count)
            case .buildCache: return String(buildCache.count)
            }
        case "Active":
            switch kind {
            case .images: return String(images.filter { ($0["Containers"]?.int ?? 0) > 0 }.count)
            case .containers: return String(containers.filter(Self.isActive).count)
            case .volumes: return String(volumes.filter { ($0["UsageData"]?["RefCount"]?.int ?? 0) > 0 }.count)
            case .buildCache: return String(buildCache.filter { $0["InUse"]?.bool == true }.count)
            }
        case "Size":
            switch kind {
            case .images: return Self.size(layersSize)
            case .containers: return Self.size(containers.reduce(0) { $0 + ($1["SizeRw"]?.int ?? 0) })
            case .volumes: return Self.size(volumeSizes.reduce(0) { $0 + $1.size })
            case .buildCache: return Self.size(builderSize)
            }
        case "Reclaimable":
            switch kind {
            case .images:
                var used = 0
                for image in images where (image["Containers"]?.int ?? 0) != 0 {
                    let size = image["Size"]?.int ?? 0, shared = image["SharedSize"]?.int ?? 0
                    if size == -1 || shared == -1 { continue }
                    used += size - shared
                }
                return Self.share(layersSize - used, of: layersSize)
            case .containers:
                let total = containers.reduce(0) { $0 + ($1["SizeRw"]?.int ?? 0) }
                let idle = containers.filter { !Self.isActive($0) }.reduce(0) { $0 + ($1["SizeRw"]?.int ?? 0) }
                return Self.share(idle, of: total)
            case .volumes:
                let sizes = volumeSizes
                let total = sizes.reduce(0) { $0 + $1.size }
                return Self.share(sizes.filter { $0.refs == 0 }.reduce(0) { $0 + $1.size }, of: total)
            case .buildCache:
                let inUse = buildCache.filter { $0["InUse"]?.bool == true && $0["Shared"]?.bool != true }
                return Self.size(builderSize - inUse.reduce(0) { $0 + ($1["Size"]?.int ?? 0) })
            }
        default:
            return ""
        }
    }

    private var layersSize: Int { usage["LayersSize"]?.int ?? 0 }

    /// Volumes whose size is known (-1: not measured).
    private var volumeSizes: [(size: Int, refs: Int)] {
        volumes.compactMap { v in
            let size = v["UsageData"]?["Size"]?.int ?? 0
            return size == -1 ? nil : (size, v["UsageData"]?["RefCount"]?.int ?? 0)
        }
    }

    /// What the build cache holds that no other record shares.
    private var builderSize: Int {
        buildCache.filter { $0["Shared"]?.bool != true }.reduce(0) { $0 + ($1["Size"]?.int ?? 0) }
    }

    private static func isActive(_ container: JSON) -> Bool {
        ["running", "paused", "restarting"].contains(container["State"]?.string ?? "")
    }

    private static func size(_ bytes: Int) -> String { Units.humanSize(Double(bytes), precision: 4) }

    /// "1.2MB (50%)", or the size alone when there is nothing to take a share of.
    private static func share(_ part: Int, of total: Int) -> String {
        total > 0 ? "\(size(part)) (\(part * 100 / total)%)" : size(part)
    }
}

/// `docker system df -v` with a custom format: docker's `diskUsageContext`, whose fields
/// are the lists of rows (each row as its JSON, as docker marshals its contexts).
struct DiskUsageDetails: TemplateRecord {
    let images: [any TemplateRecord]
    let containers: [any TemplateRecord]
    let volumes: [any TemplateRecord]

    var typeName: String { "*formatter.diskUsageContext" }

    func field(_ name: String, args: [TemplateValue]) throws(TemplateExecError) -> TemplateValue? {
        guard let rows = rows(name) else { return nil }
        if !args.isEmpty { throw TemplateExecError("\(name) is not a method but has arguments") }
        return .json(rows)
    }

    var json: JSON {
        .object(JSONObject(["Images", "Containers", "Volumes", "BuildCache"].map { (key: $0, value: rows($0) ?? .null) }))
    }

    private func rows(_ name: String) -> JSON? {
        switch name {
        case "Images": .array(images.map(\.json))
        case "Containers": .array(containers.map(\.json))
        case "Volumes": .array(volumes.map(\.json))
        case "BuildCache": .array([])
        default: nil
        }
    }
}

/// `skiff system prune`: after one confirmation, prunes stopped containers, unused
/// networks, anonymous volumes (with --volumes), dangling (or, with -a, unused) images and
/// the build cache, through their prune endpoints; prints what each removed and the total.
enum SystemPruneCommand {
    static let spec = CommandSpec(
        name: "prune", usage: "[OPTIONS]", summary: "Remove unused data",
        flags: [
            .bool("all", "a", "Remove all unused images not just dangling ones"),
            .list("filter", .filter, "Provide filter values (e.g. \"label=<key>=<value>\")"),
            .bool("force", "f", "Do not prompt for confirmation"),
            .bool("volumes", "Prune anonymous volumes"),
        ],
        arguments: .none, run: run)

    static func run(_ inv: Invocation) throws {
        let f = inv.flags
        let all = f.bool("all"), volumes = f.bool("volumes")
        let filters = try Filters(parsing: f.strings("filter"), flag: "--filter")
        if volumes && filters.entries.contains(where: { $0.key == "until" }) {
            throw CLIError("ERROR: The \"until\" filter is not supported with \"--volumes\"")
        }
        if !f.bool("force") {
            guard try Prompt.confirm(confirmation(all: all, volumes: volumes, filters: filters)) else { return }
        }
        let client = try inv.client
        func post(_ path: String, _ filters: Filters, _ extra: Query = Query()) throws -> JSON {
            var q = extra
            q.add("filters", filters.json)
            return try client.json("POST", path, query: q)
        }
        var reclaimed = 0
        func report(_ title: String, _ items: [String], space: Int) {
            guard !items.isEmpty else { return }
            Output.line(title + "\n" + items.map { $0 + "\n" }.joined())
            reclaimed += space
        }
        let containers = try post("/containers/prune", filters)
        report("Deleted Containers:", containers["ContainersDeleted"]?.strings ?? [], space: containers["SpaceReclaimed"]?.int ?? 0)
        let networks = try post("/networks/prune", filters)
        report("Deleted Networks:", networks["NetworksDeleted"]?.strings ?? [], space: 0)
        if volumes {
            let answer = try post("/volumes/prune", filters)
            report("Deleted Volumes:", answer["VolumesDeleted"]?.strings ?? [], space: answer["SpaceReclaimed"]?.int ?? 0)
        }
        var imageFilters = filters
        imageFilters.add("dangling", all ? "false" : "true")
        let images = try post("/images/prune", imageFilters)
        report("Deleted Images:", (images["ImagesDeleted"]?.array ?? []).map { item in
            if let u = item["Untagged"]?.string, !u.isEmpty { return "untagged: \(u)" }
            return "deleted: \(item["Deleted"]?.string ?? "")"
        }, space: images["SpaceReclaimed"]?.int ?? 0)
        var cacheQuery = Query()
        if all { cacheQuery.add("all", "1") }
        let cache = try post("/build/prune", filters, cacheQuery)
        report("Deleted build cache objects:", cache["CachesDeleted"]?.strings ?? [], space: cache["SpaceReclaimed"]?.int ?? 0)
        Output.line("Total reclaimed space: " + Units.humanSize(Double(reclaimed), precision: 4))
    }

    /// docker's confirmation: what goes, and the filters that narrow it.
    static func confirmation(all: Bool, volumes: Bool, filters: Filters) -> String {
        var warnings = ["all stopped containers", "all networks not used by at least one container"]
        if volumes { warnings.append("all anonymous volumes not used by at least one container") }
        warnings.append(all ? "all images without at least one container associated to them" : "all dangling images")
        warnings.append(all ? "all build cache" : "unused build cache")
        var text = "WARNING! This will remove:" + warnings.map { "\n  - " + $0 }.joined() + "\n"
        let shown = ["label", "label!", "until"].flatMap { key in
            (filters.entries.first { $0.key == key }?.values ?? []).map { key + "=" + $0 }
        }.sorted(by: naturalLess)
        if !shown.isEmpty {
            text += "\n  Items to be pruned will be filtered with:" + shown.map { "\n  - " + $0 }.joined() + "\n"
        }
        return text + "\nAre you sure you want to continue?"
    }
}

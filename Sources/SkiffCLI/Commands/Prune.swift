import Glibc

/// `skiff container prune`, `image prune`, `network prune` and `volume prune`: confirm
/// (unless -f), prune, report.
enum PruneCommand {
    static let containers = CommandSpec(
        name: "prune", usage: "[OPTIONS]", summary: "Remove all stopped containers",
        flags: [
            .list("filter", .filter, "Provide filter values (e.g. \"until=<timestamp>\")"),
            .bool("force", "f", "Do not prompt for confirmation"),
        ],
        arguments: .none
    ) { inv in
        let filters = try Filters(parsing: inv.flags.strings("filter"), flag: "--filter")
        guard let report = try prune(inv, warning: "WARNING! This will remove all stopped containers.", path: "/containers/prune", filters: filters)
        else { return }
        printDeleted("Deleted Containers:", report["ContainersDeleted"]?.strings ?? [])
        printReclaimed(report["SpaceReclaimed"]?.int ?? 0)
    }

    static let images = CommandSpec(
        name: "prune", usage: "[OPTIONS]", summary: "Remove unused images",
        flags: [
            .bool("all", "a", "Remove all unused images, not just dangling ones"),
            .list("filter", .filter, "Provide filter values (e.g. \"until=<timestamp>\")"),
            .bool("force", "f", "Do not prompt for confirmation"),
        ],
        arguments: .none
    ) { inv in
        let all = inv.flags.bool("all")
        var filters = try Filters(parsing: inv.flags.strings("filter"), flag: "--filter")
        filters.add("dangling", all ? "false" : "true")
        let warning = all
            ? "WARNING! This will remove all images without at least one container associated to them."
            : "WARNING! This will remove all dangling images."
        guard let report = try prune(inv, warning: warning, path: "/images/prune", filters: filters) else { return }
        let items = report["ImagesDeleted"]?.array ?? []
        printDeleted("Deleted Images:", items.map { item in
            if let u = item["Untagged"]?.string, !u.isEmpty { return "untagged: \(u)" }
            return "deleted: \(item["Deleted"]?.string ?? "")"
        })
        printReclaimed(report["SpaceReclaimed"]?.int ?? 0)
    }

    static let networks = CommandSpec(
        name: "prune", usage: "[OPTIONS]", summary: "Remove all unused networks",
        flags: [
            .list("filter", .filter, "Provide filter values (e.g. \"until=<timestamp>\")"),
            .bool("force", "f", "Do not prompt for confirmation"),
        ],
        arguments: .none
    ) { inv in
        let filters = try Filters(parsing: inv.flags.strings("filter"), flag: "--filter")
        guard let report = try prune(inv, warning: "WARNING! This will remove all custom networks not used by at least one container.",
            path: "/networks/prune", filters: filters)
        else { return }
        printDeleted("Deleted Networks:", report["NetworksDeleted"]?.strings ?? [])
    }

    static let volumes = CommandSpec(
        name: "prune", usage: "[OPTIONS]", summary: "Remove unused local volumes",
        flags: [
            .bool("all", "a", "Remove all unused volumes, not just anonymous ones"),
            .list("filter", .filter, "Provide filter values (e.g. \"label=<label>\")"),
            .bool("force", "f", "Do not prompt for confirmation"),
        ],
        arguments: .none
    ) { inv in
        try inv.requireAPIVersion(APIVersion(1, 42), for: ["all"])
        var filters = try Filters(parsing: inv.flags.strings("filter"), flag: "--filter")
        let allWarning = "WARNING! This will remove all local volumes not used by at least one container."
        var warning = "WARNING! This will remove anonymous local volumes not used by at least one container."
        if try inv.client.version() < APIVersion(1, 42) {
            // Older daemons remove named volumes too.
            warning = allWarning
        } else if inv.flags.bool("all") {
            if filters.entries.contains(where: { $0.key == "all" }) {
                throw CLIError("conflicting options: cannot specify both --all and --filter all=1")
            }
            filters.add("all", "true")
            warning = allWarning
        }
        guard let report = try prune(inv, warning: warning, path: "/volumes/prune", filters: filters) else { return }
        let deleted = report["VolumesDeleted"]?.strings ?? []
        printDeleted("Deleted Volumes:", deleted)
        printReclaimed(deleted.isEmpty ? 0 : report["SpaceReclaimed"]?.int ?? 0)
    }

    /// Asks (unless -f) and prunes; nil when the answer was no (docker then exits 0, silently).
    private static func prune(_ inv: Invocation, warning: String, path: String, filters: Filters) throws -> JSON? {
        if !inv.flags.bool("force") {
            guard try Prompt.confirm(warning + "\nAre you sure you want to continue?") else { return nil }
        }
        var q = Query()
        if !filters.isEmpty { q.add("filters", filters.json) }
        return try inv.client.json("POST", path, query: q)
    }

    /// "Deleted X:" and one line per item, then an empty line; nothing when nothing went.
    private static func printDeleted(_ title: String, _ items: [String]) {
        if !items.isEmpty { Output.line(title + "\n" + items.map { $0 + "\n" }.joined()) }
    }

    private static func printReclaimed(_ bytes: Int) {
        Output.line("Total reclaimed space: " + Units.humanSize(Double(bytes), precision: 4))
    }
}

/// docker's prompt.Confirm: "[y/N]" on stdout, yes only for "y"/"Y".
enum Prompt {
    static func confirm(_ message: String) throws -> Bool {
        Output.write(1, message + " [y/N] ")
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(0, &byte, 1) == 1, byte != 0x0A { line.append(byte) }
        let answer = String(decoding: line, as: UTF8.self).trimmingSpaces
        return answer == "y" || answer == "Y"
    }
}

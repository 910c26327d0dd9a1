import Glibc

/// `skiff container prune` and `skiff image prune`: confirm (unless -f), prune, report.
enum PruneCommand {
    static let containers = CommandSpec(
        name: "prune", usage: "[OPTIONS]", summary: "Remove all stopped containers",
        flags: [
            .list("filter", .filter, "Provide filter values (e.g. \"until=<timestamp>\")"),
            .bool("force", "f", "Do not prompt for confirmation"),
        ],
        arguments: .none
    ) { inv in
        try prune(inv, warning: "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?",
            cancelled: "container prune has been cancelled", path: "/containers/prune", filters: Filters(parsing: inv.flags.strings("filter"), flag: "--filter"))
        { report in
            let deleted = report["ContainersDeleted"]?.strings ?? []
            return deleted.isEmpty ? "" : "Deleted Containers:\n" + deleted.map { $0 + "\n" }.joined()
        }
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
            ? "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?"
            : "WARNING! This will remove all dangling images.\nAre you sure you want to continue?"
        try prune(inv, warning: warning, cancelled: "image prune has been cancelled", path: "/images/prune", filters: filters) { report in
            var out = ""
            let items = report["ImagesDeleted"]?.array ?? []
            if !items.isEmpty {
                out = "Deleted Images:\n"
                for item in items {
                    if let u = item["Untagged"]?.string, !u.isEmpty {
                        out += "untagged: \(u)\n"
                    } else {
                        out += "deleted: \(item["Deleted"]?.string ?? "")\n"
                    }
                }
            }
            return out
        }
    }

    private static func prune(
        _ inv: Invocation, warning: String, cancelled: String, path: String, filters: Filters, describe: (JSON) -> String
    ) throws {
        if !inv.flags.bool("force") {
            guard try Prompt.confirm(warning) else { throw CLIError(cancelled) }
        }
        var q = Query()
        if !filters.isEmpty { q.add("filters", filters.json) }
        let report = try inv.client.json("POST", path, query: q)
        let output = describe(report)
        if !output.isEmpty { Output.line(output) }
        Output.line("Total reclaimed space: " + Units.humanSize(Double(report["SpaceReclaimed"]?.int ?? 0), precision: 4))
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

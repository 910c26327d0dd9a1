import Glibc

/// `skiff pause`, `unpause`, `top`, `update` and `stats`.
enum ContainerResourceCommands {
    static let pause = CommandSpec(
        name: "pause", usage: "CONTAINER [CONTAINER...]", summary: "Pause all processes within one or more containers",
        aliasPaths: ["skiff container pause", "skiff pause"], arguments: .atLeast(1)
    ) { inv in
        let client = try inv.client
        try StopCommand.forEach(inv.args) { name in try client.call("POST", "/containers/\(Query.escapePath(name))/pause") }
    }

    static let unpause = CommandSpec(
        name: "unpause", usage: "CONTAINER [CONTAINER...]", summary: "Unpause all processes within one or more containers",
        aliasPaths: ["skiff container unpause", "skiff unpause"], arguments: .atLeast(1)
    ) { inv in
        let client = try inv.client
        try StopCommand.forEach(inv.args) { name in try client.call("POST", "/containers/\(Query.escapePath(name))/unpause") }
    }

    static let top = CommandSpec(
        name: "top", usage: "CONTAINER [ps OPTIONS]", summary: "Display the running processes of a container",
        aliasPaths: ["skiff container top", "skiff top"], interspersed: false, arguments: .atLeast(1)
    ) { inv in
        var q = Query()
        let psArgs = inv.args.dropFirst().joined(separator: " ")
        if !psArgs.isEmpty { q.add("ps_args", psArgs) }
        let answer = try inv.client.json("GET", "/containers/\(Query.escapePath(inv.args[0]))/top", query: q)
        var text = (answer["Titles"]?.strings ?? []).joined(separator: "\t") + "\n"
        for row in answer["Processes"]?.array ?? [] { text += row.strings.joined(separator: "\t") + "\n" }
        // docker: a tabwriter with minwidth 20, padding 1.
        Output.write(1, TabWriter(minWidth: 20, padding: 1).format(text))
    }

    static let update = CommandSpec(
        name: "update", usage: "[OPTIONS] CONTAINER [CONTAINER...]", summary: "Update configuration of one or more containers",
        aliasPaths: ["skiff container update", "skiff update"],
        flags: [
            .value("cpu-period", .int64, "Limit CPU CFS (Completely Fair Scheduler) period"),
            .value("cpu-quota", .int64, "Limit CPU CFS (Completely Fair Scheduler) quota"),
            .value("cpu-shares", "c", .int64, "CPU shares (relative weight)"),
            .value("cpus", .decimal, "Number of CPUs"),
            .value("cpuset-cpus", .string, "CPUs in which to allow execution (0-3, 0,1)"),
            .value("cpuset-mems", .string, "MEMs in which to allow execution (0-3, 0,1)"),
            .value("memory", "m", .bytes, "Memory limit"),
            .value("memory-reservation", .bytes, "Memory soft limit"),
            .value("memory-swap", .memSwap, "Swap limit equal to memory plus swap: -1 to enable unlimited swap"),
            .value("pids-limit", .int64, "Tune container pids limit (set -1 for unlimited)"),
            .value("restart", .string, "Restart policy to apply when a container exits"),
        ],
        arguments: .atLeast(1)
    ) { inv in
        let f = inv.flags
        var body = JSONObject()
        func bytes(_ name: String) -> JSON? {
            guard let v = f.string(name) else { return nil }
            return v == "-1" ? -1 : .number((try? Units.ramInBytes(v)) ?? 0)
        }
        if let v = bytes("memory") { body["Memory"] = v }
        if let v = bytes("memory-reservation") { body["MemoryReservation"] = v }
        if let v = bytes("memory-swap") { body["MemorySwap"] = v }
        for (flag, key) in [("cpu-shares", "CpuShares"), ("cpu-period", "CpuPeriod"), ("cpu-quota", "CpuQuota"), ("pids-limit", "PidsLimit")] {
            if let v = f.int(flag) { body[key] = .number(v) }
        }
        if let v = f.string("cpus") { body["NanoCpus"] = .number((try? Units.nanoCPUs(v)) ?? 0) }
        if let v = f.string("cpuset-cpus") { body["CpusetCpus"] = .string(v) }
        if let v = f.string("cpuset-mems") { body["CpusetMems"] = .string(v) }
        if let v = f.string("restart") { body["RestartPolicy"] = .object(try ContainerOptions.restartPolicy(v)) }
        guard !body.members.isEmpty else {
            throw CLIError("you must provide one or more flags when using this command")
        }
        let client = try inv.client
        try StopCommand.forEach(inv.args) { name in
            _ = try client.json("POST", "/containers/\(Query.escapePath(name))/update", body: .object(body))
        }
    }
}

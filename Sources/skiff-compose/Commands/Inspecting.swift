import ArgumentParser
import Foundation
import SkiffCLI
import SkiffCompose

struct PS: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers")
    var project: ProjectOptions { .current }
    @Flag(name: [.short, .customLong("all")], help: "Show all stopped containers (including those created by the run command)") var all = false
    @Flag(name: [.short, .customLong("quiet")], help: "Only display IDs") var quiet = false
    @Flag(name: .customLong("services"), help: "Display services") var servicesOnly = false
    @Option(name: .customLong("format"), help: "Format the output. Values: [table | json]") var format = "table"
    @Option(name: .customLong("status"), help: "Filter services by status. Values: [paused | restarting | removing | running | dead | created | exited]") var status: [String] = []
    @Option(name: .customLong("filter"), help: "Filter services by a property (supported filters: status)") var filter: String?
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let daemon = project.daemon()
            let name = try project.projectNameOnly()
            var containers = try daemon.containers(project: name, all: true, oneoff: all, services: services)
            var statuses = status
            if let filter {
                guard filter.hasPrefix("status=") else { throw ComposeFailure("unsupported filter \(filter)") }
                statuses.append(String(filter.dropFirst("status=".count)))
            }
            if !statuses.isEmpty {
                containers = containers.filter { statuses.contains($0.state) }
            } else if !all {
                containers = containers.filter(\.isRunning)
            }
            if quiet {
                for c in containers { Console.out(c.id) }
                return
            }
            if servicesOnly {
                for s in Set(containers.map(\.service)).sorted() { Console.out(s) }
                return
            }
            if format == "json" {
                for c in containers { Console.out(json(c).compact) }
                return
            }
            var rows = [["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]]
            for c in containers {
                rows.append([c.name, c.image, quotedCommand(c), c.service, created(c), c.status, portsText(c.raw["Ports"]?.array ?? [])])
            }
            Console.write(1, formatTable(rows))
        }
    }

    private func json(_ c: ProjectContainer) -> JSON {
        [
            "ID": .string(c.id), "Name": .string(c.name), "Image": .string(c.image),
            "Command": .string(c.raw["Command"]?.string ?? ""), "Project": .string(c.labels[Label.project] ?? ""),
            "Service": .string(c.service), "Created": c.raw["Created"] ?? .null, "State": .string(c.state),
            "Status": .string(c.status), "Health": .string(health(c)), "ExitCode": .number(exitCode(c)),
            "Publishers": .array((c.raw["Ports"]?.array ?? []).map { p in
                [
                    "URL": .string(p["IP"]?.string ?? ""), "TargetPort": p["PrivatePort"] ?? 0,
                    "PublishedPort": p["PublicPort"] ?? 0, "Protocol": .string(p["Type"]?.string ?? "tcp"),
                ]
            }),
        ]
    }

    private func health(_ c: ProjectContainer) -> String {
        if c.status.contains("(healthy)") { return "healthy" }
        if c.status.contains("(unhealthy)") { return "unhealthy" }
        if c.status.contains("(health: starting)") { return "starting" }
        return ""
    }

    private func exitCode(_ c: ProjectContainer) -> Int {
        guard c.status.hasPrefix("Exited ("), let close = c.status.firstIndex(of: ")") else { return 0 }
        return Int(c.status[c.status.index(c.status.startIndex, offsetBy: 8)..<close]) ?? 0
    }

    private func quotedCommand(_ c: ProjectContainer) -> String {
        var cmd = c.raw["Command"]?.string ?? ""
        if cmd.count > 20 { cmd = String(cmd.prefix(19)) + "…" }
        return "\"\(cmd)\""
    }

    private func created(_ c: ProjectContainer) -> String {
        guard let t = c.raw["Created"]?.int else { return "" }
        return DockerUnits.humanDuration(seconds: Date().timeIntervalSince1970 - Double(t)) + " ago"
    }
}

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "View output from containers")
    var project: ProjectOptions { .current }
    @Flag(name: [.short, .customLong("follow")], help: "Follow log output") var follow = false
    @Option(name: [.customShort("n"), .customLong("tail")], help: "Number of lines to show from the end of the logs for each container") var tail = "all"
    @Flag(name: [.short, .customLong("timestamps")], help: "Show timestamps") var timestamps = false
    @Option(name: .customLong("since"), help: "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)") var since: String?
    @Option(name: .customLong("until"), help: "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)") var until: String?
    @Flag(name: .customLong("no-color"), help: "Produce monochrome output") var noColor = false
    @Flag(name: .customLong("no-log-prefix"), help: "Don't print prefix in logs") var noLogPrefix = false
    @Option(name: [.short, .customLong("index")], help: "index of the container if service has multiple replicas") var index: Int?
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            // Following, containers that start later are followed too (compose's `logs -f`).
            let starts = follow ? try ProjectStarts(host: project.host, project: try project.projectNameOnly()) : nil
            var (_, containers) = try selectContainers(project, services)
            if let index { containers = containers.filter { $0.number == index } }
            var options = LogFollower.Options()
            options.follow = follow
            options.tail = tail
            options.timestamps = timestamps
            options.since = try since.map(DockerUnits.apiTimestamp)
            options.until = try until.map(DockerUnits.apiTimestamp)
            options.prefix = !noLogPrefix
            options.color = !noColor && Console.stdoutIsTerminal
            let follower = LogFollower(host: project.host, names: containers.map(\.name), options: options)
            for (i, c) in containers.enumerated() { follower.add(id: c.id, name: c.name, index: i) }
            starts?.feed(follower, services: services, number: index)
            follower.wait()
        }
    }

}

struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Display the running processes")
    var project: ProjectOptions { .current }
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let (daemon, containers) = try selectContainers(project, services, all: false)
            for c in containers {
                let top = try daemon.json("GET", "/containers/\(c.id)/top")
                Console.out(c.name)
                var rows = [top["Titles"]?.strings ?? []]
                for p in top["Processes"]?.array ?? [] { rows.append(p.strings) }
                Console.write(1, formatTable(rows) + "\n")
            }
        }
    }
}

struct Port: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the public port for a port binding")
    var project: ProjectOptions { .current }
    @Option(name: .customLong("protocol"), help: "tcp or udp") var proto = "tcp"
    @Option(name: .customLong("index"), help: "Index of the container if service has multiple replicas") var index = 1
    @Argument var service: String
    @Argument var privatePort: Int

    func run() throws {
        try Failure.report {
            let (daemon, containers) = try selectContainers(project, [service])
            guard let c = containers.first(where: { $0.number == index }) else {
                throw ComposeFailure("service \"\(service)\" is not running container #\(index)")
            }
            let j = try daemon.inspect(c.id)
            guard let binding = j?["NetworkSettings"]?["Ports"]?["\(privatePort)/\(proto)"]?.array?.first else {
                throw ComposeFailure("no port \(privatePort)/\(proto) for container \(c.name): not published")
            }
            Console.out("\(binding["HostIp"]?.string ?? ""):\(binding["HostPort"]?.string ?? "")")
        }
    }
}

struct Images: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List images used by the created containers")
    var project: ProjectOptions { .current }
    @Flag(name: [.short, .customLong("quiet")], help: "Only display IDs") var quiet = false
    @Option(name: .customLong("format"), help: "Format the output. Values: [table | json]") var format = "table"
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let (daemon, containers) = try selectContainers(project, services)
            var rows = [["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"]]
            var json: [JSON] = []
            for c in containers {
                let image = try? daemon.json("GET", "/images/\(c.imageID)/json")
                let id = image?["Id"]?.string ?? c.imageID
                let shortID = String(id.replacingOccurrences(of: "sha256:", with: "").prefix(12))
                if quiet { Console.out(id.replacingOccurrences(of: "sha256:", with: "")); continue }
                let (repo, tag) = splitReference(c.image)
                let size = Double(image?["Size"]?.int ?? 0)
                rows.append([c.name, repo, tag, shortID, DockerUnits.humanSize(size)])
                json.append(["ContainerName": .string(c.name), "Repository": .string(repo), "Tag": .string(tag), "ID": .string(id), "Size": .number(Int(size))])
            }
            if quiet { return }
            if format == "json" { Console.out(JSON.array(json).compact) } else { Console.write(1, formatTable(rows)) }
        }
    }

    private func splitReference(_ ref: String) -> (String, String) {
        if ref.hasPrefix("sha256:") { return ("<none>", "<none>") }
        let slash = ref.lastIndex(of: "/") ?? ref.startIndex
        if let colon = ref[slash...].lastIndex(of: ":") {
            return (String(ref[..<colon]), String(ref[ref.index(after: colon)...]))
        }
        return (ref, "latest")
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List running compose projects")
    var project: ProjectOptions { .current }
    @Flag(name: [.short, .customLong("all")], help: "Show all stopped Compose projects") var all = false
    @Flag(name: [.short, .customLong("quiet")], help: "Only display IDs") var quiet = false
    @Option(name: .customLong("format"), help: "Format the output. Values: [table | json]") var format = "table"
    @Option(name: .customLong("filter"), help: "Filter output based on conditions provided") var filter: [String] = []

    func run() throws {
        try Failure.report {
            let daemon = project.daemon()
            let filters: JSON = ["label": [.string(Label.project)]]
            let list = try daemon.json("GET", "/containers/json", query: [("all", "1"), ("filters", filters.compact)])
            var projects: [String: (states: [String: Int], files: Set<String>)] = [:]
            for c in (list.array ?? []).map(ProjectContainer.init) {
                let name = c.labels[Label.project] ?? ""
                var p = projects[name] ?? ([:], [])
                p.states[c.state, default: 0] += 1
                if let f = c.labels[Label.configFiles] { p.files.insert(f) }
                projects[name] = p
            }
            var names = projects.keys.sorted()
            for f in filter {
                guard f.hasPrefix("name=") else { throw ComposeFailure("unsupported filter \(f)") }
                let wanted = String(f.dropFirst(5))
                names = names.filter { $0.contains(wanted) }
            }
            if !all { names = names.filter { (projects[$0]?.states["running"] ?? 0) > 0 } }
            if quiet {
                for n in names { Console.out(n) }
                return
            }
            func status(_ n: String) -> String {
                (projects[n]?.states ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)(\($0.value))" }.joined(separator: ", ")
            }
            func files(_ n: String) -> String { (projects[n]?.files ?? []).sorted().joined(separator: ",") }
            if format == "json" {
                Console.out(JSON.array(names.map { ["Name": .string($0), "Status": .string(status($0)), "ConfigFiles": .string(files($0))] }).compact)
                return
            }
            Console.write(1, formatTable([["NAME", "STATUS", "CONFIG FILES"]] + names.map { [$0, status($0), files($0)] }))
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the skiff compose version information")
    var project: ProjectOptions { .current }
    @Flag(name: .customLong("short"), help: "Shows only Compose's version number") var short = false
    @Option(name: [.short, .customLong("format")], help: "Format the output. Values: [pretty | json]") var format = "pretty"

    func run() throws {
        if short { Console.out(skiffVersionText); return }
        if format == "json" { Console.out(JSON.object(JSONObject([("version", .string(skiffVersionText))])).compact); return }
        Console.out("skiff compose version v\(skiffVersionText)")
    }
}

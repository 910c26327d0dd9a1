import SkiffSystem

/// `skiff info`: the daemon's system information in docker's layout (or --format).
enum InfoCommand {
    static let spec = CommandSpec(
        name: "info", usage: "[OPTIONS]", summary: "Display system-wide information",
        aliasPaths: ["skiff system info", "skiff info"],
        flags: [.value("format", "f", .string, InspectCommand.formatHelp)], arguments: .none, run: run)

    static func run(_ inv: Invocation) throws {
        let client = try inv.client
        let format = inv.flags.string("format") ?? ""
        var template: GoTemplate?
        if !format.isEmpty {
            do { template = try GoTemplate(format == "json" ? "{{json .}}" : format) } catch {
                throw CLIError("template parsing error: \(error)", status: 64)
            }
        }
        let info: JSON
        do { info = try client.json("GET", "/info") } catch {
            if template == nil { Output.write(1, clientSection(apiVersion: nil) + "\nServer:\n") }
            throw error
        }
        let apiVersion = try client.version().description
        if let template {
            guard case .object(var data) = info else { return }
            var clientInfo: JSONObject = ["Debug": false]
            if case .object(let c) = VersionCommand.clientInfo(apiVersion: apiVersion) { clientInfo.members += c.members }
            clientInfo["Plugins"] = []
            clientInfo["Warnings"] = .null
            data["ClientInfo"] = .object(clientInfo)
            let output = try template.execute(.json(.object(data)))
            Output.write(1, output + "\n")
            return
        }
        Output.write(1, clientSection(apiVersion: apiVersion) + "\nServer:\n" + server(info))
        for w in info["Warnings"]?.strings ?? [] { Output.error(w) }
    }

    private static func clientSection(apiVersion: String?) -> String {
        "Client:\n Version:    \(SkiffVersion.version)\n Context:    default\n Debug Mode: false\n"
    }

    /// docker's prettyPrintServerInfo.
    static func server(_ i: JSON) -> String {
        var out = ""
        func line(_ parts: String...) { out += parts.joined(separator: " ") + "\n" }
        func nonEmpty(_ label: String, _ value: String?) { if let value, !value.isEmpty { line(label, value) } }
        func num(_ key: String) -> String { String(i[key]?.int ?? 0) }
        func str(_ key: String) -> String { i[key]?.string ?? "" }
        func bool(_ key: String) -> String { i[key]?.bool == true ? "true" : "false" }
        line(" Containers:", num("Containers"))
        line("  Running:", num("ContainersRunning"))
        line("  Paused:", num("ContainersPaused"))
        line("  Stopped:", num("ContainersStopped"))
        line(" Images:", num("Images"))
        nonEmpty(" Server Version:", str("ServerVersion"))
        nonEmpty(" Storage Driver:", str("Driver"))
        for pair in i["DriverStatus"]?.array ?? [] { out += "  \(pair.strings.first ?? ""): \(pair.strings.dropFirst().first ?? "")\n" }
        for pair in i["SystemStatus"]?.array ?? [] { out += " \(pair.strings.first ?? ""): \(pair.strings.dropFirst().first ?? "")\n" }
        nonEmpty(" Logging Driver:", str("LoggingDriver"))
        nonEmpty(" Cgroup Driver:", str("CgroupDriver"))
        nonEmpty(" Cgroup Version:", str("CgroupVersion"))
        line(" Plugins:")
        line("  Volume:", (i["Plugins"]?["Volume"]?.strings ?? []).joined(separator: " "))
        line("  Network:", (i["Plugins"]?["Network"]?.strings ?? []).joined(separator: " "))
        let authorization = i["Plugins"]?["Authorization"]?.strings ?? []
        if !authorization.isEmpty { line("  Authorization:", authorization.joined(separator: " ")) }
        line("  Log:", (i["Plugins"]?["Log"]?.strings ?? []).joined(separator: " "))
        let cdi = i["CDISpecDirs"]?.strings ?? []
        if !cdi.isEmpty {
            line(" CDI spec directories:")
            for d in cdi { out += "  \(d)\n" }
        }
        line(" Swarm:", i["Swarm"]?["LocalNodeState"]?.string ?? "")
        if let runtimes = i["Runtimes"]?.object, !runtimes.isEmpty {
            line(" Runtimes:", runtimes.keys.sorted().joined(separator: " "))
            line(" Default Runtime:", str("DefaultRuntime"))
        }
        if str("OSType") == "linux" {
            line(" Init Binary:", str("InitBinary"))
            line(" containerd version:", i["ContainerdCommit"]?["ID"]?.string ?? "")
            line(" runc version:", i["RuncCommit"]?["ID"]?.string ?? "")
            line(" init version:", i["InitCommit"]?["ID"]?.string ?? "")
            let options = i["SecurityOptions"]?.strings ?? []
            if !options.isEmpty {
                line(" Security Options:")
                for o in options {
                    var name = ""
                    var profile: String?
                    for kv in o.split(separator: ",") {
                        let (k, v) = cut(String(kv), "=")
                        if k == "name" { name = v ?? "" }
                        if k == "profile" { profile = v }
                    }
                    if name.isEmpty { name = o }
                    out += "  \(name)\n"
                    if let profile { line("   Profile:", profile) }
                }
            }
        }
        nonEmpty(" Kernel Version:", str("KernelVersion"))
        nonEmpty(" Operating System:", str("OperatingSystem"))
        nonEmpty(" OSType:", str("OSType"))
        nonEmpty(" Architecture:", str("Architecture"))
        line(" CPUs:", num("NCPU"))
        line(" Total Memory:", Units.bytesSize(Double(i["MemTotal"]?.int ?? 0)))
        nonEmpty(" Name:", str("Name"))
        nonEmpty(" ID:", str("ID"))
        line(" Docker Root Dir:", str("DockerRootDir"))
        line(" Debug Mode:", bool("Debug"))
        if i["Debug"]?.bool == true {
            line("  File Descriptors:", num("NFd"))
            line("  Goroutines:", num("NGoroutines"))
            line("  System Time:", str("SystemTime"))
            line("  EventsListeners:", num("NEventsListener"))
        }
        nonEmpty(" HTTP Proxy:", str("HttpProxy"))
        nonEmpty(" HTTPS Proxy:", str("HttpsProxy"))
        nonEmpty(" No Proxy:", str("NoProxy"))
        nonEmpty(" Username:", str("Username"))
        let labels = i["Labels"]?.strings ?? []
        if !labels.isEmpty {
            line(" Labels:")
            for l in labels { out += "  \(l)\n" }
        }
        line(" Experimental:", bool("ExperimentalBuild"))
        let registry = i["RegistryConfig"]
        let cidrs = registry?["InsecureRegistryCIDRs"]?.array ?? []
        let indexes = registry?["IndexConfigs"]?.object?.members ?? []
        if !cidrs.isEmpty || !indexes.isEmpty {
            line(" Insecure Registries:")
            for (_, config) in indexes where config["Secure"]?.bool == false { out += "  \(config["Name"]?.string ?? "")\n" }
            for c in cidrs { out += "  \(cidr(c))\n" }
        }
        let mirrors = registry?["Mirrors"]?.strings ?? []
        if !mirrors.isEmpty {
            line(" Registry Mirrors:")
            for m in mirrors { out += "  \(m)\n" }
        }
        line(" Live Restore Enabled:", bool("LiveRestoreEnabled"))
        nonEmpty(" Product License:", str("ProductLicense"))
        let pools = i["DefaultAddressPools"]?.array ?? []
        if !pools.isEmpty {
            line(" Default Address Pools:")
            for p in pools { out += "   Base: \(p["Base"]?.string ?? ""), Size: \(p["Size"]?.int ?? 0)\n" }
        }
        return out + "\n"
    }

    /// An insecure-registry CIDR as the daemon marshals Go's net.IPNet: {"IP": "127.0.0.0",
    /// "Mask": base64 bytes} printed "127.0.0.0/8".
    private static func cidr(_ value: JSON) -> String {
        if let s = value.string { return s }
        let ip = value["IP"]?.string ?? ""
        let maskBytes = Base64.decode(value["Mask"]?.string ?? "") ?? []
        let bits = maskBytes.reduce(0) { $0 + $1.nonzeroBitCount }
        return "\(ip)/\(bits)"
    }
}

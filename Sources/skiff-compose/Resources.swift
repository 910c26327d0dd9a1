import ArgumentParser
import Foundation
import SkiffCLI
import SkiffCompose

/// The project's networks and volumes on the daemon: made when missing (with compose's
/// labels), checked when external, removed by `down`.
struct Resources {
    let daemon: DaemonConnection
    let project: ProjectSpec

    /// The networks the given services use, created if missing.
    func ensureNetworks(for services: [ServiceSpec]) throws {
        let keys = Set(services.filter { $0.networkMode == nil }.flatMap { $0.networks.map(\.key) })
        for key in keys.sorted() {
            guard let spec = project.networks[key] else {
                throw ComposeFailure("service refers to undefined network \(key): invalid compose project")
            }
            if let existing = try? daemon.json("GET", "/networks/\(escapePath(spec.name))") {
                if spec.external { continue }
                let owner = existing["Labels"]?[Label.project]?.string
                if let owner, owner != project.name {
                    Console.warn("a network with name \(spec.name) exists but was not created for project \"\(project.name)\".\nSet `external: true` to use an existing network")
                }
                continue
            }
            if spec.external {
                throw ComposeFailure("network \(spec.name) declared as external, but could not be found")
            }
            Console.event("Network", spec.name, "Creating")
            var body = JSONObject()
            body["Name"] = .string(spec.name)
            body["Driver"] = .string(spec.driver ?? "bridge")
            body["CheckDuplicate"] = true
            if spec.isInternal { body["Internal"] = true }
            if spec.attachable { body["Attachable"] = true }
            if spec.enableIPv6 { body["EnableIPv6"] = true }
            if !spec.driverOpts.isEmpty { body["Options"] = .object(JSONObject(spec.driverOpts.map { ($0.key, JSON.string($0.value)) })) }
            if !spec.ipam.isEmpty || spec.ipamDriver != nil {
                var ipam = JSONObject()
                ipam["Driver"] = .string(spec.ipamDriver ?? "default")
                ipam["Config"] = .array(spec.ipam.map { c in
                    var o = JSONObject()
                    if let s = c.subnet { o["Subnet"] = .string(s) }
                    if let r = c.ipRange { o["IPRange"] = .string(r) }
                    if let g = c.gateway { o["Gateway"] = .string(g) }
                    return .object(o)
                })
                body["IPAM"] = .object(ipam)
            }
            var labels = JSONObject(spec.labels.map { ($0.key, JSON.string($0.value)) })
            labels[Label.network] = .string(key)
            labels[Label.project] = .string(project.name)
            labels[Label.version] = .string(Label.composeVersion)
            body["Labels"] = .object(labels)
            try daemon.call("POST", "/networks/create", body: .object(body))
            Console.event("Network", spec.name, "Created")
        }
    }

    /// The named volumes the given services use, created if missing.
    func ensureVolumes(for services: [ServiceSpec]) throws {
        let keys = Set(services.flatMap { $0.volumes.filter { $0.kind == .volume }.compactMap(\.source) })
        for key in keys.sorted() {
            guard let spec = project.volumes[key] else {
                throw ComposeFailure("service refers to undefined volume \(key): invalid compose project")
            }
            if let existing = try? daemon.json("GET", "/volumes/\(escapePath(spec.name))") {
                if !spec.external, let owner = existing["Labels"]?[Label.project]?.string, owner != project.name {
                    Console.warn("volume \"\(spec.name)\" already exists but was created for project \"\(owner)\" (expected \"\(project.name)\"). Use `external: true` to use an existing volume")
                }
                continue
            }
            if spec.external {
                throw ComposeFailure("external volume \"\(spec.name)\" not found")
            }
            Console.event("Volume", "\"\(spec.name)\"", "Creating")
            var body = JSONObject()
            body["Name"] = .string(spec.name)
            body["Driver"] = .string(spec.driver ?? "local")
            if !spec.driverOpts.isEmpty { body["DriverOpts"] = .object(JSONObject(spec.driverOpts.map { ($0.key, JSON.string($0.value)) })) }
            var labels = JSONObject(spec.labels.map { ($0.key, JSON.string($0.value)) })
            labels[Label.volume] = .string(key)
            labels[Label.project] = .string(project.name)
            labels[Label.version] = .string(Label.composeVersion)
            body["Labels"] = .object(labels)
            try daemon.call("POST", "/volumes/create", body: .object(body))
            Console.event("Volume", "\"\(spec.name)\"", "Created")
        }
    }
}

/// Builds and pulls the images services need.
struct ImageProvider {
    let daemon: DaemonConnection
    let project: ProjectSpec
    let options: ProjectOptions

    /// Builds the services that have a build section: all of them (`force`) or those whose
    /// image is missing.
    func build(_ services: [ServiceSpec], force: Bool, noCache: Bool = false, pull: Bool = false, args: [String] = [], quiet: Bool = false) throws {
        for s in services {
            guard let b = s.build else { continue }
            let tag = ContainerBody.imageName(project, s)
            if !force, try daemon.imageID(tag) != nil { continue }
            var argv = ["build", "-t", tag]
            let dockerfile = b.dockerfile.hasPrefix("/") ? b.dockerfile : b.context + "/" + b.dockerfile
            argv += ["-f", dockerfile]
            for a in b.args { if let v = a.value { argv += ["--build-arg", "\(a.key)=\(v)"] } }
            argv += args.flatMap { ["--build-arg", $0] }
            if let t = b.target { argv += ["--target", t] }
            for l in b.labels { argv += ["--label", "\(l.key)=\(l.value)"] }
            argv += ["--label", "\(Label.project)=\(project.name)", "--label", "\(Label.service)=\(s.name)"]
            if let n = b.network { argv += ["--network", n] }
            for h in b.extraHosts { argv += ["--add-host", h] }
            if let shm = b.shmSize { argv += ["--shm-size", shm] }
            if noCache || b.noCache { argv.append("--no-cache") }
            if pull || b.pull { argv.append("--pull") }
            if quiet { argv.append("-q") }
            argv.append(b.context)
            Console.event("Service", s.name, "Building")
            do {
                try runSkiff(options, argv)
            } catch let e as ExitCode {
                throw ComposeFailure("failed to solve: service \(s.name): build exited with status \(e.rawValue)")
            }
            Console.event("Service", s.name, "Built")
        }
    }

    /// Pulls the images of services without a build section when missing (or per pull_policy).
    func pullMissing(_ services: [ServiceSpec], policy override: String? = nil) throws {
        for s in services {
            let policy = override ?? s.pullPolicy ?? "missing"
            if s.build != nil && policy != "always" { continue }
            guard let image = s.image else { continue }
            switch policy {
            case "never":
                continue
            case "always":
                try pull(image, service: s.name)
            default:
                if try daemon.imageID(image) == nil { try pull(image, service: s.name) }
            }
        }
    }

    func pull(_ image: String, service: String, quiet: Bool = false) throws {
        Console.event("Image", image, "Pulling")
        do {
            try runSkiff(options, ["pull"] + (quiet ? ["-q"] : []) + [image])
        } catch let e as ExitCode {
            throw ComposeFailure("service \(service): pulling \(image) failed (status \(e.rawValue))")
        }
        Console.event("Image", image, "Pulled")
    }
}

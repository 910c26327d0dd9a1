import ArgumentParser
import Foundation
import SkiffCLI
import SkiffCompose

/// `skiff compose down`: the project's containers stopped and removed, then its networks;
/// `-v` its named volumes too, `--rmi` its images.
struct Down: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop and remove containers, networks")

    var project: ProjectOptions { .current }
    @Flag(name: [.short, .customLong("volumes")], help: "Remove named volumes declared in the \"volumes\" section of the Compose file and anonymous volumes attached to containers")
    var volumes = false
    @Option(name: .customLong("rmi"), help: "Remove images used by services. \"local\" remove only images that don't have a custom tag (\"local\"|\"all\")") var rmi: String?
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers for services not defined in the Compose file") var removeOrphans = false
    @Option(name: [.short, .customLong("timeout")], help: "Specify a shutdown timeout in seconds") var timeout: Int?
    @Argument(help: "Services") var services: [String] = []

    func run() throws {
        try Failure.report {
            if let rmi, rmi != "local" && rmi != "all" { throw ComposeFailure("invalid value for --rmi: \(rmi)") }
            let daemon = project.daemon()
            // Without a file, -p is enough: what the labels say is removed.
            let spec = try? project.load()
            let name = try spec?.name ?? project.projectNameOnly()
            let known = spec.map { Set($0.services.map(\.name)) }
            var containers = try daemon.containers(project: name, oneoff: true, services: services)
            if let known, !removeOrphans {
                let orphans = containers.filter { !known.contains($0.service) && !$0.oneoff }
                if !orphans.isEmpty {
                    Console.warn("Found orphan containers (\(orphans.map(\.name).joined(separator: ", "))) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.")
                }
                containers.removeAll { !known.contains($0.service) }
            }
            let host = project.host
            let volumes = self.volumes
            try stopInLevels(containers, spec, host: host, timeout: timeout)
            try inParallel(containers) { c in
                Console.event("Container", c.name, "Removing")
                try DaemonConnection(host: host).call("DELETE", "/containers/\(c.id)", query: [("force", "1"), ("v", volumes ? "1" : "0")])
                Console.event("Container", c.name, "Removed")
            }
            guard services.isEmpty else { return }
            try removeNetworks(daemon, project: name, spec: spec)
            if volumes { try removeVolumes(daemon, project: name, spec: spec) }
            if let rmi, let spec { try removeImages(daemon, spec: spec, all: rmi == "all") }
        }
    }

    private func removeNetworks(_ daemon: DaemonConnection, project name: String, spec: ProjectSpec?) throws {
        let filters: JSON = ["label": .array([.string("\(Label.project)=\(name)")])]
        let labelled = (try daemon.json("GET", "/networks", query: [("filters", filters.compact)]).array ?? []).compactMap { $0["Name"]?.string }
        let declared = spec.map { $0.networks.values.filter { !$0.external }.map(\.name) } ?? []
        for network in Set(labelled + declared).sorted() {
            guard (try? daemon.json("GET", "/networks/\(escapePath(network))")) != nil else { continue }
            Console.event("Network", network, "Removing")
            do {
                try daemon.call("DELETE", "/networks/\(escapePath(network))")
                Console.event("Network", network, "Removed")
            } catch let e as DaemonError {
                Console.warn("network \(network): \(e.message)")
            }
        }
    }

    private func removeVolumes(_ daemon: DaemonConnection, project name: String, spec: ProjectSpec?) throws {
        let filters: JSON = ["label": .array([.string("\(Label.project)=\(name)")])]
        let labelled = (try daemon.json("GET", "/volumes", query: [("filters", filters.compact)])["Volumes"]?.array ?? []).compactMap { $0["Name"]?.string }
        let declared = spec.map { $0.volumes.values.filter { !$0.external }.map(\.name) } ?? []
        for volume in Set(labelled + declared).sorted() {
            guard (try? daemon.json("GET", "/volumes/\(escapePath(volume))")) != nil else { continue }
            Console.event("Volume", volume, "Removing")
            try daemon.call("DELETE", "/volumes/\(escapePath(volume))")
            Console.event("Volume", volume, "Removed")
        }
    }

    private func removeImages(_ daemon: DaemonConnection, spec: ProjectSpec, all: Bool) throws {
        var images: [String] = []
        for s in spec.services {
            if s.image == nil || all { images.append(ContainerBody.imageName(spec, s)) }
        }
        for image in Set(images).sorted() {
            guard try daemon.imageID(image) != nil else { continue }
            Console.event("Image", image, "Removing")
            try daemon.call("DELETE", "/images/\(escapePath(image))")
            Console.event("Image", image, "Removed")
        }
    }
}

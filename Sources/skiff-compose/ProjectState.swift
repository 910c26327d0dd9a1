import Foundation
import SkiffCLI
import SkiffCompose

/// Compose's labels, as docker compose writes them, so either tool finds the other's resources.
enum Label {
    static let project = "com.docker.compose.project"
    static let service = "com.docker.compose.service"
    static let number = "com.docker.compose.container-number"
    static let oneoff = "com.docker.compose.oneoff"
    static let configHash = "com.docker.compose.config-hash"
    static let workingDir = "com.docker.compose.project.working_dir"
    static let configFiles = "com.docker.compose.project.config_files"
    static let version = "com.docker.compose.version"
    static let image = "com.docker.compose.image"
    static let dependsOn = "com.docker.compose.depends_on"
    static let network = "com.docker.compose.network"
    static let volume = "com.docker.compose.volume"
    static let composeVersion = "2.29.7"
}

/// A container of the project as the daemon lists it.
struct ProjectContainer: Sendable {
    let id: String
    let name: String
    let service: String
    let number: Int
    let oneoff: Bool
    let state: String
    let status: String
    let image: String
    let imageID: String
    let labels: [String: String]
    let raw: JSON

    init(_ j: JSON) {
        raw = j
        id = j["Id"]?.string ?? ""
        let names = j["Names"]?.strings ?? []
        name = String((names.first ?? "").drop(while: { $0 == "/" }))
        var l: [String: String] = [:]
        for m in j["Labels"]?.object?.members ?? [] { l[m.key] = m.value.string ?? "" }
        labels = l
        service = l[Label.service] ?? ""
        number = Int(l[Label.number] ?? "") ?? 0
        oneoff = (l[Label.oneoff] ?? "False").lowercased() == "true"
        state = j["State"]?.string ?? ""
        status = j["Status"]?.string ?? ""
        image = j["Image"]?.string ?? ""
        imageID = j["ImageID"]?.string ?? ""
    }

    var isRunning: Bool { state == "running" || state == "restarting" || state == "paused" }
}

extension DaemonConnection {
    /// The project's containers (one-off `run` containers only when asked), by service and number.
    func containers(project: String, all: Bool = true, oneoff: Bool = false, services: [String] = []) throws -> [ProjectContainer] {
        var labels = ["\(Label.project)=\(project)"]
        if !oneoff { labels.append("\(Label.oneoff)=False") }
        let filters: JSON = .object(JSONObject([("label", .array(labels.map { .string($0) }))]))
        let list = try json("GET", "/containers/json", query: [("all", all ? "1" : "0"), ("filters", filters.compact)])
        return (list.array ?? []).map(ProjectContainer.init)
            .filter { services.isEmpty || services.contains($0.service) }
            .sorted { ($0.service, $0.number, $0.name) < ($1.service, $1.number, $1.name) }
    }

    /// `/containers/{id}/json`, or nil when it is gone.
    func inspect(_ id: String) throws -> JSON? {
        do { return try json("GET", "/containers/\(id)/json") } catch let e as DaemonError where e.isNotFound { return nil }
    }

    /// An image's id, or nil when the daemon does not have it.
    func imageID(_ reference: String) throws -> String? {
        do {
            return try json("GET", "/images/\(escapePath(reference))/json")["Id"]?.string
        } catch let e as DaemonError where e.isNotFound { return nil }
    }
}

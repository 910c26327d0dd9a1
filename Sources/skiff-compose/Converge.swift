import Foundation
import SkiffCLI
import SkiffCompose

/// Brings a project's containers to what its file says: per service, in dependency order,
/// containers created, recreated (configuration or image changed), started, scaled.
struct Converge {
    enum Recreate { case diverged, always, never }

    let daemon: DaemonConnection
    let project: ProjectSpec
    var recreate = Recreate.diverged
    var start = true
    /// Per service, a replica count overriding the file's (`--scale`).
    var scale: [String: Int] = [:]
    /// Seconds to wait for a container to stop before it is killed (`-t`); nil: its own.
    var stopTimeout: Int?
    /// Wait for dependency conditions before starting a dependant.
    var waitForDependencies = true
    /// Containers created or started by this run, in start order (attached `up` follows them).
    private(set) var touched: [String] = []
    /// Services whose containers this run recreated (dependants with `restart: true` follow).
    private(set) var recreated: Set<String> = []

    init(daemon: DaemonConnection, project: ProjectSpec) {
        self.daemon = daemon
        self.project = project
    }

    /// What phase two does to a container once its service's dependencies are ready.
    private enum Pending {
        case start(id: String, name: String)
        case restart(id: String, name: String)
        case running(id: String, name: String)
    }

    /// Converges `services` (already in start order), as docker compose does: every container
    /// created (or recreated) first, then each service's containers started once its
    /// dependencies meet their conditions, so a dependant's create overlaps its dependency's
    /// start-up.
    mutating func run(_ services: [ServiceSpec]) throws {
        var pending: [String: [Pending]] = [:]
        for service in services { pending[service.name] = try converge(service) }
        guard start else { return }
        for service in services {
            if waitForDependencies { try waitForDependencies(of: service) }
            for action in pending[service.name] ?? [] {
                switch action {
                case .start(let id, let name):
                    try startContainer(id, name: name)
                case .restart(let id, let name):
                    Console.event("Container", name, "Restarting")
                    try daemon.call("POST", "/containers/\(id)/restart", query: stopTimeout.map { [("t", String($0))] } ?? [])
                    Console.event("Container", name, "Started")
                    touched.append(id)
                case .running(let id, let name):
                    Console.event("Container", name, "Running")
                    touched.append(id)
                }
            }
        }
    }

    /// Creates, recreates and removes the service's containers; returns what phase two does.
    private mutating func converge(_ service: ServiceSpec) throws -> [Pending] {
        let imageName = ContainerBody.imageName(project, service)
        guard let imageID = try daemon.imageID(imageName) else {
            throw ComposeFailure("service \(service.name): image \(imageName) not found")
        }
        let hash = ContainerBody.configHash(service)
        let want = scale[service.name] ?? service.replicas
        var existing = try daemon.containers(project: project.name, services: [service.name])
        // Surplus replicas go first (highest numbers), as docker compose scales down.
        if existing.count > want {
            for c in existing.sorted(by: { $0.number > $1.number }).prefix(existing.count - want) {
                try removeContainer(c, stop: true)
            }
            existing = try daemon.containers(project: project.name, services: [service.name])
        }
        var actions: [Pending] = []
        var numbers = Set<Int>()
        // depends_on with restart: true: a dependency recreated now restarts this service.
        let restartForDependency = service.dependsOn.contains { $0.restart && recreated.contains($0.service) }
        for c in existing {
            numbers.insert(c.number)
            let diverged = c.labels[Label.configHash] != hash || c.labels[Label.image] != imageID
            if recreate == .always || (recreate == .diverged && diverged) {
                try removeContainer(c, stop: true, recreating: true)
                actions.append(try create(service, number: c.number, imageID: imageID))
                recreated.insert(service.name)
            } else if restartForDependency && c.isRunning {
                actions.append(.restart(id: c.id, name: c.name))
            } else if !c.isRunning {
                actions.append(.start(id: c.id, name: c.name))
            } else {
                actions.append(.running(id: c.id, name: c.name))
            }
        }
        var n = 1
        while numbers.count < want {
            if !numbers.contains(n) {
                actions.append(try create(service, number: n, imageID: imageID))
                numbers.insert(n)
            }
            n += 1
        }
        return actions
    }

    private mutating func create(_ service: ServiceSpec, number: Int, imageID: String) throws -> Pending {
        let name = service.containerName ?? "\(project.name)-\(service.name)-\(number)"
        Console.event("Container", name, "Creating")
        let body = try ContainerBody(project: project, service: service).make(
            number: number, oneoff: false, imageID: imageID, serviceContainer: serviceContainerID)
        let answer = try daemon.json("POST", "/containers/create", query: [("name", name)], body: body)
        let id = answer["Id"]?.string ?? name
        for w in answer["Warnings"]?.strings ?? [] { Console.warn(w) }
        if let tar = try ContainerBody(project: project, service: service).injectedFiles() {
            try daemon.putArchive(id, path: "/", tar: tar)
        }
        Console.event("Container", name, "Created")
        if !start { touched.append(id) }
        return .start(id: id, name: name)
    }

    private mutating func startContainer(_ id: String, name: String) throws {
        Console.event("Container", name, "Starting")
        try daemon.call("POST", "/containers/\(id)/start")
        Console.event("Container", name, "Started")
        touched.append(id)
    }

    /// network_mode: service:NAME → that service's first container (running ones first: it
    /// may only just have been created, and starts before this one).
    private func serviceContainerID(_ service: String) throws -> String {
        let containers = try daemon.containers(project: project.name, services: [service])
        guard let c = containers.first(where: \.isRunning) ?? containers.first else {
            throw ComposeFailure("service \(service) has no container to share its network with")
        }
        return c.id
    }

    func removeContainer(_ c: ProjectContainer, stop: Bool, recreating: Bool = false) throws {
        if stop && c.isRunning {
            Console.event("Container", c.name, recreating ? "Recreate" : "Stopping")
            try daemon.call("POST", "/containers/\(c.id)/stop", query: stopTimeout.map { [("t", String($0))] } ?? [])
        }
        if !recreating { Console.event("Container", c.name, "Removing") }
        try daemon.call("DELETE", "/containers/\(c.id)", query: [("force", "1")])
        if !recreating { Console.event("Container", c.name, "Removed") }
    }

    /// Blocks until every dependency of `service` meets its condition.
    func waitForDependencies(of service: ServiceSpec) throws {
        for dep in service.dependsOn where dep.condition != .started {
            guard project.service(dep.service) != nil else { continue }
            let containers = try daemon.containers(project: project.name, services: [dep.service])
            for c in containers {
                Console.event("Container", c.name, "Waiting")
                switch dep.condition {
                case .healthy:
                    try Waiter(daemon: daemon).healthy(c.id, name: c.name, required: dep.required)
                    Console.event("Container", c.name, "Healthy")
                case .completedSuccessfully:
                    try Waiter(daemon: daemon).exitedSuccessfully(c.id, name: c.name, dependant: service.name)
                    Console.event("Container", c.name, "Exited")
                case .started:
                    break
                }
            }
        }
    }
}

/// Polls containers until they reach a state (health, exit).
struct Waiter {
    let daemon: DaemonConnection
    var interval: useconds_t = 25_000

    func healthy(_ id: String, name: String, required: Bool = true, deadline: Date? = nil) throws {
        while true {
            guard let j = try daemon.inspect(id) else { throw ComposeFailure("container \(name) is gone") }
            let state = j["State"]
            guard let health = state?["Health"]?["Status"]?.string else {
                throw ComposeFailure("container \(name) has no healthcheck configured")
            }
            if health == "healthy" { return }
            if health == "unhealthy" {
                if required { throw ComposeFailure("dependency failed to start: container \(name) is unhealthy") }
                return
            }
            if state?["Running"]?.bool == false {
                throw ComposeFailure("dependency failed to start: container \(name) exited (\(state?["ExitCode"]?.int ?? -1))")
            }
            if let deadline, Date() > deadline { throw ComposeFailure("timeout waiting for \(name) to be healthy") }
            usleep(interval)
        }
    }

    func exitedSuccessfully(_ id: String, name: String, dependant: String) throws {
        let answer = try daemon.json("POST", "/containers/\(id)/wait", query: [("condition", "not-running")])
        let code = answer["StatusCode"]?.int ?? -1
        if code != 0 {
            throw ComposeFailure("service \"\(name)\" didn't complete successfully: exit \(code)")
        }
    }

    /// `up --wait`: every container running, and healthy where it has a healthcheck.
    func running(_ id: String, name: String, deadline: Date?) throws {
        while true {
            guard let j = try daemon.inspect(id) else { throw ComposeFailure("container \(name) is gone") }
            let state = j["State"]
            if state?["Running"]?.bool != true {
                let code = state?["ExitCode"]?.int ?? -1
                if state?["Status"]?.string == "exited" {
                    throw ComposeFailure("container \(name) exited (\(code))")
                }
            } else if let health = state?["Health"]?["Status"]?.string {
                if health == "healthy" { return }
                if health == "unhealthy" { throw ComposeFailure("container \(name) is unhealthy") }
            } else {
                return
            }
            if let deadline, Date() > deadline { throw ComposeFailure("timeout waiting for \(name)") }
            usleep(interval)
        }
    }
}

import ArgumentParser
import Foundation
import SkiffCLI
import SkiffCompose

/// The project's containers for the named services (all services when none are named).
func selectContainers(_ project: ProjectOptions, _ services: [String], all: Bool = true) throws -> (DaemonConnection, [ProjectContainer]) {
    let daemon = project.daemon()
    let name = try project.projectNameOnly()
    if !services.isEmpty, let spec = try? project.load(services: services) {
        for s in services where spec.service(s) == nil { throw ComposeFailure("no such service: \(s)") }
    }
    return (daemon, try daemon.containers(project: name, all: all, services: services))
}

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Creates containers for a service")
    var project: ProjectOptions { .current }
    @Flag(name: .customLong("build"), help: "Build images before starting containers") var build = false
    @Flag(name: .customLong("force-recreate"), help: "Recreate containers even if their configuration and image haven't changed") var forceRecreate = false
    @Flag(name: .customLong("no-recreate"), help: "If containers already exist, don't recreate them") var noRecreate = false
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let spec = try project.load(services: services)
            let daemon = project.daemon()
            let targets = try spec.startOrder(services.isEmpty ? nil : services)
            try Resources(daemon: daemon, project: spec).ensureNetworks(for: targets)
            try Resources(daemon: daemon, project: spec).ensureVolumes(for: targets)
            let images = ImageProvider(daemon: daemon, project: spec, options: project)
            try images.pullMissing(targets)
            try images.build(targets, force: build)
            var converge = Converge(daemon: daemon, project: spec)
            converge.recreate = forceRecreate ? .always : noRecreate ? .never : .diverged
            converge.start = false
            try converge.run(targets)
        }
    }
}

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start services")
    var project: ProjectOptions { .current }
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let spec = try project.load(services: services)
            let daemon = project.daemon()
            let converge = Converge(daemon: daemon, project: spec)
            for service in try spec.startOrder(services.isEmpty ? nil : services) {
                let containers = try daemon.containers(project: spec.name, services: [service.name])
                if containers.isEmpty { continue }
                try converge.waitForDependencies(of: service)
                for c in containers where !c.isRunning {
                    Console.event("Container", c.name, "Starting")
                    try daemon.call("POST", "/containers/\(c.id)/start")
                    Console.event("Container", c.name, "Started")
                }
            }
        }
    }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop services")
    var project: ProjectOptions { .current }
    @Option(name: [.short, .customLong("timeout")], help: "Specify a shutdown timeout in seconds") var timeout: Int?
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let (_, containers) = try selectContainers(project, services)
            try stopInLevels(containers, try? project.load(), host: project.host, timeout: timeout)
        }
    }
}

struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Restart service containers")
    var project: ProjectOptions { .current }
    @Option(name: [.short, .customLong("timeout")], help: "Specify a shutdown timeout in seconds") var timeout: Int?
    @Flag(name: .customLong("no-deps"), help: "Don't restart dependent services") var noDeps = false
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let (daemon, containers) = try selectContainers(project, services)
            for c in containers {
                Console.event("Container", c.name, "Restarting")
                try daemon.call("POST", "/containers/\(c.id)/restart", query: timeout.map { [("t", String($0))] } ?? [])
                Console.event("Container", c.name, "Started")
            }
        }
    }
}

struct Kill: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Force stop service containers")
    var project: ProjectOptions { .current }
    @Option(name: [.short, .customLong("signal")], help: "SIGNAL to send to the container") var signal = "SIGKILL"
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers for services not defined in the Compose file") var removeOrphans = false
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let (daemon, containers) = try selectContainers(project, services, all: false)
            for c in containers {
                Console.event("Container", c.name, "Killing")
                try daemon.call("POST", "/containers/\(c.id)/kill", query: [("signal", signal)])
                Console.event("Container", c.name, "Killed")
            }
        }
    }
}

struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pause services")
    var project: ProjectOptions { .current }
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let (daemon, containers) = try selectContainers(project, services, all: false)
            for c in containers where c.state == "running" {
                Console.event("Container", c.name, "Pausing")
                try daemon.call("POST", "/containers/\(c.id)/pause")
                Console.event("Container", c.name, "Paused")
            }
        }
    }
}

struct Unpause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Unpause services")
    var project: ProjectOptions { .current }
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let (daemon, containers) = try selectContainers(project, services, all: false)
            for c in containers where c.state == "paused" {
                Console.event("Container", c.name, "Unpausing")
                try daemon.call("POST", "/containers/\(c.id)/unpause")
                Console.event("Container", c.name, "Unpaused")
            }
        }
    }
}

struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Removes stopped service containers")
    var project: ProjectOptions { .current }
    @Flag(name: [.short, .customLong("force")], help: "Don't ask to confirm removal") var force = false
    @Flag(name: [.short, .customLong("stop")], help: "Stop the containers, if required, before removing") var stop = false
    @Flag(name: [.short, .customLong("volumes")], help: "Remove any anonymous volumes attached to containers") var volumes = false
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let (daemon, all) = try selectContainers(project, services)
            if stop {
                for c in all where c.isRunning {
                    Console.event("Container", c.name, "Stopping")
                    try daemon.call("POST", "/containers/\(c.id)/stop")
                    Console.event("Container", c.name, "Stopped")
                }
            }
            let containers = stop ? all : all.filter { !$0.isRunning }
            if containers.isEmpty {
                Console.err("No stopped containers")
                return
            }
            if !force {
                Console.err("Going to remove \(containers.map(\.name).joined(separator: ", "))")
                guard Console.stdinIsTerminal else { throw ComposeFailure("removal not confirmed: use -f to remove without a prompt") }
                Console.write(2, "Are you sure? [yN] ")
                guard let answer = readLine(), answer.lowercased().hasPrefix("y") else { return }
            }
            for c in containers {
                Console.event("Container", c.name, "Removing")
                try daemon.call("DELETE", "/containers/\(c.id)", query: [("v", volumes ? "1" : "0")])
                Console.event("Container", c.name, "Removed")
            }
        }
    }
}

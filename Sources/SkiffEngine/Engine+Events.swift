import SkiffNetwork
import SkiffSystem

/// A network as its events name it (looked up ahead, so that recording never suspends).
struct NetworkActor: Sendable {
    var id: String
    var name: String
    var type: String

    init(_ network: Network) {
        id = network.id
        name = network.name
        type = network.driver.rawValue
    }
}

extension Engine {
    /// A container event with dockerd's attributes: `extra`, the container's
    /// labels over them, then its image (as it was asked for) and name.
    func record(_ action: String, _ container: Container, _ extra: [String: String] = [:]) {
        var attributes = extra
        for (key, value) in container.config.labels { attributes[key] = value }
        attributes["image"] = container.config.image
        attributes["name"] = container.name
        events.publish(.container, action, id: container.id, attributes: attributes)
    }

    /// `exec_create: sh -c true` (dockerd's form: the program, a space, the arguments).
    static func execAction(_ action: String, _ exec: ExecRecord) -> String {
        "\(action): \(exec.args.first ?? "") \(exec.args.dropFirst().joined(separator: " "))"
    }

    /// A volume's `create` or `destroy`.
    func recordVolume(_ action: String, _ name: String, driver: String?) {
        events.publish(.volume, action, id: name, attributes: ["driver": driver ?? "local"])
    }

    /// `volume mount` (at start) or `volume unmount` (at exit) for each volume of the container.
    func recordVolumeMounts(_ action: String, _ container: Container) {
        for mount in container.mounts where mount.kind == .volume {
            guard let name = mount.name else { continue }
            var attributes = ["container": container.id, "driver": mount.driver ?? "local"]
            if action == "mount" {
                attributes["destination"] = mount.destination
                attributes["propagation"] = mount.propagation
                attributes["read/write"] = mount.readWrite ? "true" : "false"
            }
            events.publish(.volume, action, id: name, attributes: attributes)
        }
    }

    /// The networks of `endpoints`, for their `connect` and `disconnect` events.
    func networkActors(_ endpoints: [Endpoint]) async -> [NetworkActor] {
        var actors: [NetworkActor] = []
        for endpoint in endpoints {
            guard let network = try? await networks.network(endpoint.networkID) else { continue }
            actors.append(NetworkActor(network))
        }
        return actors
    }

    func recordNetwork(_ action: String, _ network: NetworkActor, container: String? = nil) {
        var attributes = ["name": network.name, "type": network.type]
        if let container { attributes["container"] = container }
        events.publish(.network, action, id: network.id, attributes: attributes)
    }

    /// A network's `create` or `destroy` (the API layer makes and removes networks).
    public nonisolated func recordNetwork(_ action: String, _ network: Network) {
        events.publish(.network, action, id: network.id, attributes: ["name": network.name, "type": network.driver.rawValue])
    }

    /// A create: the volumes it made, then the container.
    func recordCreated(_ container: Container, volumes made: [String]) {
        for mount in container.mounts where mount.kind == .volume && made.contains(mount.name ?? "") {
            recordVolume("create", mount.name!, driver: mount.driver)
        }
        record("create", container)
    }

    /// A start, in dockerd's order: its networks connected, its volumes mounted, then `start`.
    func recordStarted(_ container: Container, networks: [NetworkActor]) {
        for network in networks { recordNetwork("connect", network, container: container.id) }
        recordVolumeMounts("mount", container)
        record("start", container)
    }

    /// `rm -f` of a running container, once its monitor stopped it: the
    /// monitor's last status applied now (so that its death is recorded
    /// before the container goes) and its networks' disconnects. Returns the
    /// container as it is now.
    func settleForcedStop(_ id: String, networks: [NetworkActor]) -> Container? {
        if let status = readStatus(id), status.state == .exited { apply(id, status) }
        for network in networks { recordNetwork("disconnect", network, container: id) }
        return containers[id]
    }

    /// What a status from the monitor means as events: an OOM kill, a
    /// probe's health change, a death (for good: its volumes' unmounts too) or a
    /// start again under the restart policy.
    func recordChanges(from old: ContainerState, to container: Container) {
        let new = container.state
        if new.oomKilled && !old.oomKilled { record("oom", container) }
        // Probe results only: the monitor marks a container that stops unhealthy, as dockerd, without an event.
        if new.status == .running, let health = new.health?.status, health != "starting", health != old.health?.status {
            record("health_status: " + health, container)
        }
        let wasUp = old.status == .running || old.status == .paused
        if wasUp && (new.status == .exited || new.status == .restarting) {
            record("die", container, ["exitCode": String(new.exitCode), "execDuration": Self.seconds(from: old.startedAt)])
            if new.status == .exited { recordVolumeMounts("unmount", container) }
        } else if old.status == .restarting && new.status == .running {
            record("start", container)
        }
    }

    /// Whole seconds since an RFC 3339 time (dockerd's `execDuration`).
    private static func seconds(from time: String) -> String {
        guard let start = Timestamp.parse(time) else { return "0" }
        return String(max(0, Int64((Double(EventBus.now()) / 1e9 - start).rounded(.down))))
    }
}

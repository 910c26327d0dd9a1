import SkiffOCI

/// Something that happened to an object the engine manages, as Docker's
/// event stream reports it: the object's kind and id, what happened, and
/// attributes (a container's name, image and labels; a volume's driver).
public struct Event: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case container, image, volume, network, daemon
    }

    public var kind: Kind
    /// "start", "die", "exec_start: sh -c true", "health_status: healthy".
    public var action: String
    /// A container's or network's id, an image's id, a volume's name ("" for a prune).
    public var actorID: String
    public var attributes: [String: String]
    /// Nanoseconds since the epoch: unique and increasing within one bus.
    public var time: Int64

    public init(kind: Kind, action: String, actorID: String, attributes: [String: String] = [:], time: Int64) {
        self.kind = kind
        self.action = action
        self.actorID = actorID
        self.attributes = attributes
        self.time = time
    }
}

/// Docker's event filters (`type`, `event`, `container`, `image`, `volume`,
/// `network`, `label`, `scope`, `daemon`, ...), matched as dockerd matches
/// them: every key given must hold, any of a key's values may; object keys
/// (`container`, `network`...) match an event's id or its `name` attribute
/// by prefix, whatever the event's type; `image` matches an
/// image's id or name, or a container's image, with or without the tag.
/// Keys dockerd does not know filter nothing (as in dockerd).
public struct EventFilter: Sendable, Equatable {
    public var values: [String: Set<String>]

    public init(_ filters: [String: [String]] = [:]) {
        values = filters.filter { !$0.value.isEmpty }.mapValues(Set.init)
    }

    public func includes(_ event: Event) -> Bool {
        guard !values.isEmpty else { return true }
        let name = event.attributes["name"] ?? ""
        for kind in ["container", "volume", "network", "daemon", "plugin", "service", "node", "secret", "config"]
        where !(fuzzy(kind, event.actorID) || fuzzy(kind, name)) {
            return false
        }
        return matchesAction(event.action) && exact("type", event.kind.rawValue) && exact("scope", "local")
            && matchesImage(event) && matchesLabels(event.attributes)
    }

    /// `health_status`, `exec_create` and `exec_start` also match their
    /// longer forms ("exec_start: sh -c true").
    private func matchesAction(_ action: String) -> Bool {
        guard let wanted = values["event"] else { return true }
        if !wanted.isDisjoint(with: ["health_status", "exec_create", "exec_start"]) { return fuzzy("event", action) }
        return wanted.contains(action)
    }

    private func matchesImage(_ event: Event) -> Bool {
        guard values["image"] != nil else { return true }
        let name = event.attributes[event.kind == .image ? "name" : "image"] ?? ""
        return [event.actorID, name, Self.stripTag(event.actorID), Self.stripTag(name)].contains { exact("image", $0) }
    }

    /// Every `label=k` or `label=k=v` holds for the attributes.
    private func matchesLabels(_ attributes: [String: String]) -> Bool {
        guard let labels = values["label"] else { return true }
        return labels.allSatisfy { label in
            let parts = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let value = attributes[parts[0]] else { return false }
            return parts.count == 1 || value == parts[1]
        }
    }

    private func exact(_ key: String, _ value: String) -> Bool {
        values[key]?.contains(value) ?? true
    }

    private func fuzzy(_ key: String, _ value: String) -> Bool {
        guard let wanted = values[key] else { return true }
        return wanted.contains { value.hasPrefix($0) }
    }

    /// The familiar name without tag or digest ("busybox" for
    /// "docker.io/library/busybox:latest"); the text itself if not a reference.
    private static func stripTag(_ image: String) -> String {
        (try? ImageReference(image))?.familiarName ?? image
    }
}

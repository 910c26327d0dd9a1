// Docker's event JSON (`GET /events`).

/// `EventMessage`: one line of `GET /events`.
struct EventMessage: Encodable, Sendable, Equatable {
    var type: String
    var action: String
    var actor: Actor
    var scope = "local"
    /// Unix seconds.
    var time: Int64
    var timeNano: Int64
    /// The deprecated fields dockerd still fills for containers (all three)
    /// and images (`status`, `id`); omitted when empty.
    var status: String?
    var id: String?
    var from: String?

    /// `EventActor`.
    struct Actor: Encodable, Sendable, Equatable {
        var id: String
        var attributes: [String: String]

        enum CodingKeys: String, CodingKey { case id = "ID", attributes = "Attributes" }
    }

    enum CodingKeys: String, CodingKey {
        case type = "Type", action = "Action", actor = "Actor", scope, time, timeNano, status, id, from
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let status, !status.isEmpty { try c.encode(status, forKey: .status) }
        if let id, !id.isEmpty { try c.encode(id, forKey: .id) }
        if let from, !from.isEmpty { try c.encode(from, forKey: .from) }
        try c.encode(type, forKey: .type)
        try c.encode(action, forKey: .action)
        try c.encode(actor, forKey: .actor)
        try c.encode(scope, forKey: .scope)
        try c.encode(time, forKey: .time)
        try c.encode(timeNano, forKey: .timeNano)
    }
}

extension Engine {
    /// `docker rename`: the container's new name (with or without the slash), in its record and,
    /// while it runs, on its endpoints and in the DNS names of its user-defined networks.
    public func rename(_ ref: String, to newName: String) async throws(EngineError) {
        guard !ref.isEmpty, !newName.isEmpty else {
            throw EngineError(.invalid, "Neither old nor new names may be empty")
        }
        let id = try resolveID(ref)
        var container = containers[id]!
        let name = newName.hasPrefix("/") ? String(newName.dropFirst()) : newName
        if container.name == name {
            throw EngineError(.invalid, "Renaming a container with the same name as its current name")
        }
        guard Self.isValidName(name) else {
            throw EngineError(.invalid, "Error when allocating new name: Invalid container name (/\(name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        if let other = containers.values.first(where: { $0.name == name }) {
            throw EngineError(.conflict, "Error when allocating new name: Conflict. The container name \"/\(name)\" is already in use by container \"\(other.id)\". You have to remove (or rename) that container to be able to reuse that name.")
        }
        let oldName = container.name
        container.name = name
        try db.update(container)
        containers[id] = container
        record("rename", container, ["oldName": "/" + oldName])
        guard container.sandbox != nil else { return }
        let endpoints = await networks.rename(containerID: id, to: name)
        guard var renamed = containers[id], renamed.sandbox != nil else { return }
        for endpoint in endpoints {
            if let i = renamed.sandbox!.endpoints.firstIndex(where: { $0.id == endpoint.id }) { renamed.sandbox!.endpoints[i] = endpoint }
        }
        save(renamed)
    }
}

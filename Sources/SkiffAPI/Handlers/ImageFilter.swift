import Glibc
import SkiffImage
import SkiffOCI

/// Docker's image filters (`dangling`, `label`, `label!`, `reference`,
/// `before`, `since`, `until`) over the store's images.
struct ImageFilter: Sendable {
    /// An image that passed, with its config when a filter needed it.
    struct Match: Sendable {
        var record: ImageRecord
        var config: ImageConfig?
    }

    let filters: [String: [String]]
    let store: ImageStore

    init(_ filters: [String: [String]], store: ImageStore) {
        self.filters = filters
        self.store = store
    }

    func apply(to images: [ImageRecord]) async throws -> [Match] {
        let dangling = try filters["dangling"].map { try parseBoolFilter("dangling", $0) }
        let before = try await createdOf("before")
        let since = try await createdOf("since")
        let until = try filters["until"].map { values -> Int64 in
            guard values.count == 1, let time = dockerTimestamp(values[0]) else {
                throw APIError.badRequest("invalid filter 'until=\(values.joined(separator: ","))'")
            }
            return time
        }
        let labels = filters["label"] ?? []
        let notLabels = filters["label!"] ?? []
        let references = filters["reference"] ?? []
        var matches: [Match] = []
        for image in images {
            let named = !image.tags.isEmpty || !image.repoDigests.isEmpty
            if let dangling, dangling == named { continue }
            let created = image.created.flatMap(RFC3339.parse) ?? 0
            if let before, created >= before { continue }
            if let since, created <= since { continue }
            if let until, created >= until { continue }
            // As dockerd, an image shows with the names that match only.
            var shown = image
            if !references.isEmpty {
                let matching = { (name: String) in references.contains { Self.matchesReference($0, name) } }
                shown.tags = image.tags.filter(matching)
                shown.repoDigests = image.repoDigests.filter(matching)
                if shown.tags.isEmpty && shown.repoDigests.isEmpty { continue }
            }
            var config: ImageConfig?
            if !labels.isEmpty || !notLabels.isEmpty {
                let loaded = try await store.config(of: image)
                let imageLabels = loaded.config?.labels ?? [:]
                config = loaded
                if !labels.allSatisfy({ matchesLabel($0, imageLabels) }) { continue }
                if notLabels.contains(where: { matchesLabel($0, imageLabels) }) { continue }
            }
            matches.append(Match(record: shown, config: config))
        }
        return matches
    }

    /// The creation time of the image a `before`/`since` filter names.
    private func createdOf(_ key: String) async throws -> Int64? {
        guard let values = filters[key] else { return nil }
        guard values.count == 1 else { throw APIError.badRequest("invalid filter '\(key)': one image expected") }
        let image = try await store.resolve(values[0])
        return image.created.flatMap(RFC3339.parse) ?? 0
    }

    /// `pattern` (a glob, as path.Match) against a name's familiar forms: "busybox:latest" or "busybox".
    private static func matchesReference(_ pattern: String, _ name: String) -> Bool {
        guard let ref = try? ImageReference(name) else { return false }
        return fnmatch(pattern, ref.familiar, FNM_PATHNAME) == 0 || fnmatch(pattern, ref.familiarName, FNM_PATHNAME) == 0
    }
}

/// "key" (present) or "key=value" (equal).
func matchesLabel(_ filter: String, _ labels: [String: String]) -> Bool {
    guard let eq = filter.firstIndex(of: "=") else { return labels[filter] != nil }
    return labels[String(filter[..<eq])] == String(filter[filter.index(after: eq)...])
}

/// A filter whose value is a boolean ("true"/"1", "false"/"0").
func parseBoolFilter(_ key: String, _ values: [String]) throws(APIError) -> Bool {
    let parsed = Set(values.map { $0.lowercased() })
    switch parsed {
    case ["true"], ["1"], ["true", "1"]: return true
    case ["false"], ["0"], ["false", "0"]: return false
    default: throw .badRequest("invalid filter '\(key)=\(values.joined(separator: ","))'")
    }
}

/// dockerd's `name` filters (containers, networks, volumes): the exact name, or
/// a regular expression found in it (`^web$`); an invalid expression matches nothing.
func nameMatches(_ pattern: String, _ name: String) -> Bool {
    if pattern == name { return true }
    guard let regex = try? Regex(pattern) else { return false }
    return name.contains(regex)
}

/// Rejects filter keys an endpoint does not know, as dockerd does.
func checkFilters(_ filters: [String: [String]], allowed: Set<String>) throws(APIError) {
    for key in filters.keys.sorted() where !allowed.contains(key) {
        throw .badRequest("invalid filter '\(key)'")
    }
}

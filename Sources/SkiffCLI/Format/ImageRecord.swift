/// One `docker images` row: docker's `imageContext` (one per repository and tag).
struct ImageRecord: TemplateRecord {
    let summary: JSON
    let truncate: Bool
    let repository: String
    let tag: String
    let digest: String
    let now: Double

    static let header = HeaderRecord(columns: [
        "ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST", "CreatedSince": "CREATED",
        "CreatedAt": "CREATED AT", "Size": "SIZE", "Containers": "CONTAINERS", "VirtualSize": "SIZE",
        "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE",
    ])

    static let fields = ["Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository", "SharedSize", "Size",
        "Tag", "UniqueSize", "VirtualSize"]

    var typeName: String { "*formatter.imageContext" }

    func field(_ name: String, args: [TemplateValue]) throws(TemplateExecError) -> TemplateValue? {
        guard ImageRecord.fields.contains(name) else { return nil }
        if !args.isEmpty { throw TemplateExecError("wrong number of args for \(name): want 0 got \(args.count)") }
        return .string(value(name))
    }

    private func value(_ name: String) -> String {
        let size = summary["Size"]?.int ?? 0
        let shared = summary["SharedSize"]?.int ?? -1
        let created = summary["Created"]?.int ?? 0
        switch name {
        case "ID":
            let id = summary["Id"]?.string ?? ""
            return truncate ? truncateID(id) : id
        case "Repository": return repository
        case "Tag": return tag
        case "Digest": return digest
        case "CreatedSince": return Units.humanDuration(seconds: now - Double(created)) + " ago"
        case "CreatedAt": return GoTime.string(seconds: Int64(created))
        case "Size": return Units.humanSize(Double(size))
        case "Containers":
            let c = summary["Containers"]?.int ?? -1
            return c == -1 ? "N/A" : String(c)
        case "VirtualSize": return Units.humanSize(Double(size), precision: 4)
        case "SharedSize": return shared == -1 ? "N/A" : Units.humanSize(Double(shared), precision: 4)
        case "UniqueSize": return size == -1 || shared == -1 ? "N/A" : Units.humanSize(Double(size - shared), precision: 4)
        default: return ""
        }
    }

    var json: JSON {
        .object(JSONObject(ImageRecord.fields.map { (key: $0, value: JSON.string(value($0))) }))
    }

    /// The rows docker shows for one image: one per tag (times digests when shown),
    /// `<none>` for dangling images, digest-only repositories last.
    static func rows(for summary: JSON, truncate: Bool, showDigests: Bool, digestColumn: Bool, now: Double) -> [ImageRecord] {
        let repoTags = summary["RepoTags"]?.strings ?? []
        let repoDigests = summary["RepoDigests"]?.strings ?? []
        func row(_ repo: String, _ tag: String, _ digest: String) -> ImageRecord {
            ImageRecord(summary: summary, truncate: truncate, repository: repo, tag: tag, digest: digest, now: now)
        }
        let dangling = (repoTags.isEmpty && repoDigests.isEmpty)
            || (repoTags == ["<none>:<none>"] && repoDigests == ["<none>@<none>"])
        if dangling { return [row("<none>", "<none>", "<none>")] }
        var tags: [(repo: String, tags: [String])] = []
        var digests: [(repo: String, digests: [String])] = []
        for ref in repoTags.compactMap(ImageName.init) {
            guard let tag = ref.tag else { continue }
            if let i = tags.firstIndex(where: { $0.repo == ref.familiarName }) { tags[i].tags.append(tag) } else { tags.append((ref.familiarName, [tag])) }
        }
        for ref in repoDigests.compactMap(ImageName.init) {
            guard let digest = ref.digest else { continue }
            if let i = digests.firstIndex(where: { $0.repo == ref.familiarName }) { digests[i].digests.append(digest) } else { digests.append((ref.familiarName, [digest])) }
        }
        var rows: [ImageRecord] = []
        for (repo, repoTags) in tags {
            var repoDigests = digests.first { $0.repo == repo }?.digests ?? []
            digests.removeAll { $0.repo == repo }
            if !digestColumn { repoDigests = [] }
            for tag in repoTags {
                if repoDigests.isEmpty {
                    rows.append(row(repo, tag, "<none>"))
                } else {
                    for d in repoDigests { rows.append(row(repo, tag, d)) }
                }
            }
        }
        for (repo, repoDigests) in digests {
            if showDigests {
                for d in repoDigests { rows.append(row(repo, "<none>", d)) }
            } else {
                rows.append(row(repo, "<none>", ""))
            }
        }
        return rows
    }
}

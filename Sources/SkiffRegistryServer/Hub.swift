import FoundationEssentials
import SkiffHTTP
import SkiffOCI

/// The hub page at `/` (also `/ui`): every repository, its tags, each tag's
/// digest and size, and the `docker pull` command. Plain HTML, no script;
/// every name on it came from a client, so all of it is escaped.
extension Registry {
    /// One tag's row.
    struct HubTag {
        var tag: String
        var digest: String
        var mediaType: String
        /// Config and layers of the manifest, or of all the index's manifests.
        var size: Int64
        /// The index's platforms (empty for a single manifest).
        var platforms: [String]
    }

    func hub(_ request: RegistryRequest) throws -> HTTPResponse {
        guard request.segments.isEmpty || request.segments == ["ui"] else { throw RegistryError(.notFound) }
        guard request.method == "GET" || request.method == "HEAD" else {
            throw RegistryError(.unsupported, detail: "\(request.method) is not supported on this path")
        }
        let host = request.headers["Host"].flatMap { $0.isEmpty ? nil : $0 } ?? "HOST:PORT"
        var repositories: [(name: String, tags: [HubTag])] = []
        for name in storage.repositories() {
            let tags = (storage.tags(name) ?? []).compactMap { hubTag(name, $0) }
            repositories.append((name, tags))
        }
        let html = Self.hubPage(host: host, repositories: repositories)
        return HTTPResponse(
            headers: [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
                ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
            ],
            body: .bytes(Array(html.utf8)))
    }

    func hubTag(_ name: String, _ tag: String) -> HubTag? {
        guard let (bytes, mediaType, digest) = storage.manifest(name, reference: tag) else { return nil }
        var row = HubTag(tag: tag, digest: digest.description, mediaType: mediaType, size: 0, platforms: [])
        switch try? ManifestOrIndex.decode(Data(bytes), mediaType: mediaType) {
        case .manifest(let manifest):
            row.size = Self.imageSize(manifest)
        case .index(let index):
            for child in index.manifests {
                if let platform = child.platform { row.platforms.append(platform.description) }
                if let (childBytes, childType, _) = storage.manifest(name, reference: child.digest.description),
                   case .manifest(let manifest) = try? ManifestOrIndex.decode(Data(childBytes), mediaType: childType) {
                    row.size += Self.imageSize(manifest)
                } else {
                    row.size += child.size
                }
            }
        case nil:
            break
        }
        return row
    }

    static func imageSize(_ manifest: Manifest) -> Int64 {
        manifest.layers.reduce(manifest.config.size) { $0 + $1.size }
    }

    static func hubPage(host: String, repositories: [(name: String, tags: [HubTag])]) -> String {
        let tagCount = repositories.reduce(0) { $0 + $1.tags.count }
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>skiff registry — \(escape(host))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #1d2330; background: #f7f8fa; }
            h1 { font-size: 1.6em; margin-bottom: 0.2em; }
            p.summary { color: #5a6272; margin-top: 0; }
            section.repository { background: #fff; border: 1px solid #d9dde5; border-radius: 6px; margin: 1.2em 0; padding: 0.6em 1.2em 1em; }
            h2 { font-size: 1.2em; font-family: ui-monospace, monospace; }
            table { border-collapse: collapse; width: 100%; }
            th, td { text-align: left; padding: 0.35em 0.6em; border-bottom: 1px solid #eceff4; vertical-align: top; }
            th { font-weight: 600; color: #5a6272; font-size: 0.9em; }
            code { font-family: ui-monospace, monospace; font-size: 0.9em; word-break: break-all; }
            td.size, td.tag-name code { white-space: nowrap; word-break: normal; }
            span.platforms { display: block; color: #5a6272; font-size: 0.85em; }
            </style>
            </head>
            <body>
            <h1>skiff registry</h1>
            <p class="summary">\(escape(host)) · \(repositories.count) \(repositories.count == 1 ? "repository" : "repositories"), \(tagCount) \(tagCount == 1 ? "tag" : "tags")</p>

            """
        if repositories.isEmpty {
            html += "<p class=\"empty\">No repositories yet. Push one: <code>docker push \(escape(host))/NAME:TAG</code></p>\n"
        }
        for (name, tags) in repositories {
            html += "<section class=\"repository\">\n<h2>\(escape(name))</h2>\n"
            if tags.isEmpty {
                html += "<p class=\"untagged\">No tags.</p>\n</section>\n"
                continue
            }
            html += "<table>\n<thead><tr><th>Tag</th><th>Digest</th><th>Size</th><th>Pull</th></tr></thead>\n<tbody>\n"
            for row in tags {
                let platforms = row.platforms.isEmpty
                    ? "" : "<span class=\"platforms\">\(escape(row.platforms.joined(separator: ", ")))</span>"
                html += """
                    <tr class="tag"><td class="tag-name"><code>\(escape(row.tag))</code>\(platforms)</td>\
                    <td class="digest"><code>\(escape(row.digest))</code></td>\
                    <td class="size" title="\(row.size) bytes">\(humanSize(row.size))</td>\
                    <td class="pull"><code>docker pull \(escape(host))/\(escape(name)):\(escape(row.tag))</code></td></tr>

                    """
            }
            html += "</tbody>\n</table>\n</section>\n"
        }
        html += "</body>\n</html>\n"
        return html
    }

    /// Text for HTML element content and quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if character.value < 0x20 && character != "\t" { out += "&#\(character.value);" } else { out.unicodeScalars.append(character) }
            }
        }
        return out
    }

    /// 1.2 MB (decimal units, as docker shows sizes).
    static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let rounded = (value * 10).rounded() / 10
        return "\(rounded) \(units[unit])"
    }
}

import FoundationEssentials
import SkiffOCI

/// `docker import --change` / `docker commit --change`: Dockerfile
/// instructions that only touch the image config (CMD, ENTRYPOINT, ENV,
/// EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR).
public enum ImageChanges {
    /// Applies `changes` (one instruction each) to `config`.
    public static func apply(_ changes: [String], to config: inout ImageConfig.Config) throws(ImageError) {
        for change in changes {
            let trimmed = change.trimmingSpaces()
            guard !trimmed.isEmpty else { continue }
            let (keyword, rest) = split(trimmed)
            switch keyword.uppercased() {
            case "CMD":
                config.cmd = try commandForm(rest)
            case "ENTRYPOINT":
                config.entrypoint = try commandForm(rest)
            case "ENV":
                for (k, v) in try pairs(rest, instruction: "ENV") {
                    var env = (config.env ?? []).filter { !$0.hasPrefix(k + "=") }
                    env.append("\(k)=\(v)")
                    config.env = env
                }
            case "LABEL":
                for (k, v) in try pairs(rest, instruction: "LABEL") { config.labels = (config.labels ?? [:]).merging([k: v]) { $1 } }
            case "EXPOSE":
                for port in rest.split(separator: " ") where !port.isEmpty {
                    let spec = port.contains("/") ? String(port) : "\(port)/tcp"
                    config.exposedPorts = (config.exposedPorts ?? [:]).merging([spec: EmptyObject()]) { $1 }
                }
            case "VOLUME":
                let paths = rest.hasPrefix("[") ? try jsonArray(rest) : rest.split(separator: " ").map(String.init)
                for path in paths { config.volumes = (config.volumes ?? [:]).merging([path: EmptyObject()]) { $1 } }
            case "USER":
                config.user = rest
            case "WORKDIR":
                config.workingDir = rest
            case "STOPSIGNAL":
                config.stopSignal = rest
            case "ONBUILD":
                config.onBuild = (config.onBuild ?? []) + [rest]
            default:
                throw ImageError(.invalid, "\(keyword) is not a valid change command")
            }
        }
    }

    static func split(_ s: String) -> (String, String) {
        guard let space = s.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (s, "") }
        return (String(s[..<space]), String(s[space...]).trimmingSpaces())
    }

    /// JSON form (`["a","b"]`) as is; shell form wrapped in `/bin/sh -c`.
    static func commandForm(_ rest: String) throws(ImageError) -> [String] {
        if rest.hasPrefix("["), let array = try? jsonArray(rest) { return array }
        return ["/bin/sh", "-c", rest]
    }

    static func jsonArray(_ text: String) throws(ImageError) -> [String] {
        do {
            return try JSONDecoder().decode([String].self, from: Data(text.utf8))
        } catch {
            throw ImageError(.invalid, "not a JSON array of strings: \(text)")
        }
    }

    /// `K=V K2="V 2"` or the legacy `K V`.
    static func pairs(_ rest: String, instruction: String) throws(ImageError) -> [(String, String)] {
        guard rest.contains("=") else {
            let (k, v) = split(rest)
            guard !k.isEmpty else { throw ImageError(.invalid, "\(instruction) needs a name") }
            return [(k, v)]
        }
        var out: [(String, String)] = []
        var words: [String] = []
        var current = ""
        var quote: Character?
        var escaped = false
        for c in rest {
            if escaped {
                current.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == " " || c == "\t" {
                if !current.isEmpty { words.append(current); current = "" }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { words.append(current) }
        for word in words {
            guard let eq = word.firstIndex(of: "="), eq != word.startIndex else {
                throw ImageError(.invalid, "\(instruction) \(word): expected NAME=VALUE")
            }
            out.append((String(word[..<eq]), String(word[word.index(after: eq)...])))
        }
        return out
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}

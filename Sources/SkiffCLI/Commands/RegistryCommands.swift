import Glibc
import SkiffSystem

/// `~/.docker/config.json` as the docker CLI keeps credentials in it: `auths`, registry →
/// `{"auth": base64("user:password")}`, Docker Hub under `https://index.docker.io/v1/`;
/// or, for a registry named in `credHelpers` (else for all when `credsStore` is set), in
/// that credential helper, with an empty `auths` entry left in the file as docker leaves it.
/// Other members of the file are kept as they are.
enum DockerConfigFile {
    static let dockerHubKey = "https://index.docker.io/v1/"

    static var path: String {
        if let dir = getenv("DOCKER_CONFIG").map({ String(cString: $0) }), !dir.isEmpty { return dir + "/config.json" }
        let home = getenv("HOME").map { String(cString: $0) } ?? "/root"
        return home + "/.docker/config.json"
    }

    /// host[:port] of a server address or config key (Docker Hub's names → docker.io).
    static func normalize(_ server: String) -> String {
        var s = Substring(server)
        for prefix in ["http://", "https://"] where s.hasPrefix(prefix) { s = s.dropFirst(prefix.count) }
        if let slash = s.firstIndex(of: "/") { s = s[..<slash] }
        switch s {
        case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "": return "docker.io"
        default: return String(s)
        }
    }

    static func key(for server: String) -> String {
        let host = normalize(server)
        return host == "docker.io" ? dockerHubKey : host
    }

    static func load() -> JSONObject {
        guard let bytes = try? FileSystem.read(path), let parsed = try? JSON.parse(bytes[...]), let object = parsed.object else {
            return JSONObject()
        }
        return object
    }

    static func save(_ config: JSONObject) throws {
        let dir = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        FileSystem.makeDirectories(dir, mode: 0o700)
        let file = try AtomicFile(path, context: "failed to save credentials")
        var text = JSON.reformat(Array(JSON.object(config).compact.utf8), indent: "\t")
        text.append(0x0A)
        Output.write(file.fd, text)
        fchmod(file.fd, 0o600)
        try file.commit()
    }

    /// The credential helper that keeps `server`'s credentials: its `credHelpers` entry,
    /// else `credsStore`; nil: the file itself.
    static func helper(for server: String, in config: JSONObject) -> String? {
        if case .object(let helpers)? = config["credHelpers"] {
            let wanted = normalize(server)
            if let entry = helpers.members.first(where: { normalize($0.key) == wanted }), let name = entry.value.string, !name.isEmpty {
                return name
            }
        }
        if let name = config["credsStore"]?.string, !name.isEmpty { return name }
        return nil
    }

    /// The user and password (or `<token>` and an identity token) stored for `server`.
    static func credentials(for server: String) throws -> (username: String, password: String)? {
        let config = load()
        if let helper = helper(for: server, in: config) {
            return try CredentialHelper.get(helper, server: key(for: server)).map { ($0.username, $0.secret) }
        }
        guard case .object(let auths)? = config["auths"] else { return nil }
        let wanted = normalize(server)
        let candidates = auths.members.filter { $0.key == key(for: server) } + auths.members.filter { normalize($0.key) == wanted }
        for (_, entry) in candidates {
            guard let auth = entry["auth"]?.string, let decoded = Base64.decode(auth) else { continue }
            let text = String(decoding: decoded, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else { continue }
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        return nil
    }

    /// Stores the credentials (in the helper, if one is configured); true when in the file itself.
    @discardableResult
    static func store(server: String, username: String, password: String) throws -> Bool {
        var config = load()
        var auths = config["auths"]?.object ?? JSONObject()
        var entry = JSONObject()
        let helper = helper(for: server, in: config)
        if let helper {
            try CredentialHelper.store(helper, server: key(for: server), username: username, secret: password)
            auths.members.removeAll { normalize($0.key) == normalize(server) }
        } else {
            entry["auth"] = .string(Base64.encode(Array("\(username):\(password)".utf8)))
        }
        auths[key(for: server)] = .object(entry)
        config["auths"] = .object(auths)
        try save(config)
        return helper == nil
    }

    /// Removes every entry for `server` (and the helper's); false when there was none.
    static func erase(server: String) throws -> Bool {
        var config = load()
        var erased = false
        if let helper = helper(for: server, in: config) {
            erased = try CredentialHelper.erase(helper, server: key(for: server))
        }
        guard var auths = config["auths"]?.object else { return erased }
        let wanted = normalize(server)
        let before = auths.members.count
        auths.members.removeAll { normalize($0.key) == wanted }
        guard auths.members.count != before else { return erased }
        config["auths"] = .object(auths)
        try save(config)
        return true
    }

    /// The `X-Registry-Auth` header for an image's registry: base64url JSON of the stored
    /// credentials, `{}` without any (as the docker CLI sends it).
    static func registryAuthHeader(for image: ImageName) throws -> (String, String) {
        let registry = String(image.name.prefix { $0 != "/" })
        var object = JSONObject()
        if let creds = try credentials(for: registry) {
            if creds.username == "<token>" {
                object["identitytoken"] = .string(creds.password)
            } else {
                object["username"] = .string(creds.username)
                object["password"] = .string(creds.password)
            }
            object["serveraddress"] = .string(key(for: registry))
        }
        return ("X-Registry-Auth", Base64.encode(Array(JSON.object(object).compact.utf8), url: true))
    }
}

/// `skiff pull`.
enum PullCommand {
    static let spec = CommandSpec(
        name: "pull", usage: "[OPTIONS] NAME[:TAG|@DIGEST]", summary: "Download an image from a registry",
        aliasPaths: ["skiff image pull", "skiff pull"],
        flags: [
            .bool("all-tags", "a", "Download all tagged images in the repository"),
            .bool("disable-content-trust", "Skip image verification"),
            .value("platform", .string, "Set platform if server is multi-platform capable"),
            .bool("quiet", "q", "Suppress verbose output"),
        ],
        arguments: .exactly(1), run: run)

    static func run(_ inv: Invocation) throws {
        let text = inv.args[0]
        let ref = try ImageName.parse(text)
        let quiet = inv.flags.bool("quiet")
        let tag = ref.digest ?? ref.tag ?? "latest"
        if ref.tag == nil && ref.digest == nil && !quiet { Output.line("Using default tag: latest") }
        var query: Query = ["fromImage": ref.name, "tag": tag]
        if let p = inv.flags.string("platform"), !p.isEmpty { query.add("platform", p) }
        let response = try inv.client.send(
            "POST", "/images/create", query: query, headers: [try DockerConfigFile.registryAuthHeader(for: ref)])
        try PullProgress.display(response.body, to: quiet ? nil : 1)
        Output.line(ref.name + (ref.digest.map { "@" + $0 } ?? ":" + tag))
    }
}

/// `skiff push`.
enum PushCommand {
    static let spec = CommandSpec(
        name: "push", usage: "[OPTIONS] NAME[:TAG]", summary: "Upload an image to a registry",
        aliasPaths: ["skiff image push", "skiff push"],
        flags: [
            .bool("all-tags", "a", "Push all tags of an image to the repository"),
            .bool("disable-content-trust", "Skip image signing"),
            .value("platform", .string, "Push a platform-specific manifest as a single-platform image to the registry."),
            .bool("quiet", "q", "Suppress verbose output"),
        ],
        arguments: .exactly(1), run: run)

    static func run(_ inv: Invocation) throws {
        let ref = try ImageName.parse(inv.args[0])
        let all = inv.flags.bool("all-tags")
        if all && ref.tag != nil { throw CLIError("tag can't be used with --all-tags/-a") }
        if ref.digest != nil { throw CLIError("invalid reference format") }
        let tag = all ? "" : (ref.tag ?? "latest")
        if !all && ref.tag == nil && !inv.flags.bool("quiet") { Output.line("Using default tag: latest") }
        let response = try inv.client.send(
            "POST", "/images/\(ref.name)/push", query: ["tag": tag], headers: [try DockerConfigFile.registryAuthHeader(for: ref)])
        try PullProgress.display(response.body, to: inv.flags.bool("quiet") ? nil : 1)
        if inv.flags.bool("quiet") { Output.line(ref.familiarName + (tag.isEmpty ? "" : ":" + tag)) }
    }
}

/// `skiff login` and `skiff logout`.
enum LoginCommand {
    static let login = CommandSpec(
        name: "login", usage: "[OPTIONS] [SERVER]",
        summary: "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
        aliasPaths: ["skiff login"],
        flags: [
            .value("password", "p", .string, "Password or Personal Access Token (PAT)"),
            .bool("password-stdin", "Take the Password or Personal Access Token (PAT) from stdin"),
            .value("username", "u", .string, "Username"),
        ],
        arguments: .atMost(1), run: runLogin)

    static let logout = CommandSpec(
        name: "logout", usage: "[SERVER]",
        summary: "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
        aliasPaths: ["skiff logout"],
        arguments: .atMost(1), run: runLogout)

    static func runLogin(_ inv: Invocation) throws {
        let server = inv.args.first ?? DockerConfigFile.dockerHubKey
        var username = inv.flags.string("username") ?? ""
        var password = inv.flags.string("password") ?? ""
        if inv.flags.bool("password-stdin") {
            if !password.isEmpty { throw CLIError("--password and --password-stdin are mutually exclusive") }
            if username.isEmpty { throw CLIError("Must provide --username with --password-stdin") }
            var bytes: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(0, &buf, buf.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                bytes += buf[0..<n]
            }
            while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
            password = String(decoding: bytes, as: UTF8.self)
        } else if !password.isEmpty {
            Output.error("WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
        }
        if username.isEmpty || password.isEmpty, let stored = try? DockerConfigFile.credentials(for: server) {
            if username.isEmpty || username == stored.username {
                username = stored.username
                if password.isEmpty { password = stored.password }
            }
        }
        if username.isEmpty || password.isEmpty {
            throw CLIError("Error: Cannot perform an interactive login from a non TTY device")
        }
        var body = JSONObject()
        body["username"] = .string(username)
        body["password"] = .string(password)
        body["serveraddress"] = .string(server)
        _ = try inv.client.json("POST", "/auth", body: .object(body))
        if try DockerConfigFile.store(server: server, username: username, password: password) {
            Output.error("""

                WARNING! Your credentials are stored unencrypted in '\(DockerConfigFile.path)'.
                Configure a credential helper to remove this warning. See
                https://docs.docker.com/go/credential-store/

                """)
        }
        Output.line("Login Succeeded")
    }

    static func runLogout(_ inv: Invocation) throws {
        let server = inv.args.first ?? DockerConfigFile.dockerHubKey
        let shown = DockerConfigFile.normalize(server) == "docker.io" ? DockerConfigFile.dockerHubKey : server
        if try DockerConfigFile.erase(server: server) {
            Output.line("Removing login credentials for \(DockerConfigFile.normalize(shown) == "docker.io" ? "https://index.docker.io/v1/" : shown)")
        } else {
            Output.line("Not logged in to \(shown)")
        }
    }
}

import SkiffEngine
import SkiffImage
import SkiffOCI
import SkiffRegistryClient

/// Pull (`POST /images/create?fromImage=`), push (`POST /images/{name}/push`) and
/// `POST /auth`, on `SkiffRegistryClient`, with Docker's JSON progress stream.
func registerRegistryRoutes(_ router: inout Router, engine: Engine, daemon: DaemonInfo) {
    router.post("/images/{name*}/push") { request in
        try pushResponse(request, engine: engine, insecure: daemon.insecureRegistries, certsDir: daemon.certsDir)
    }

    router.post("/auth") { request in
        let config = try await request.body.decode(RegistryCredentials.AuthConfig.self)
        let server = config.serveraddress.flatMap { $0.isEmpty ? nil : $0 } ?? DockerConfigAuths.dockerHubKey
        let registry = DockerConfigAuths.normalize(server)
        let client = RegistryClient(
            endpoint: RegistryEndpoint.resolve(registry, insecure: daemon.insecureRegistries, certsDir: daemon.certsDir), repository: "",
            credentials: config.credentials, actions: [])
        do {
            try await client.checkLogin()
        } catch let error as RegistryError {
            throw APIError(error.kind == .unauthorized ? 401 : 500, error.message)
        }
        return try .json(AuthResponse(Status: "Login Succeeded", IdentityToken: ""))
    }
}

struct AuthResponse: Encodable {
    var Status: String
    var IdentityToken: String
}

/// One message of a pull or push stream (docker's jsonmessage.JSONMessage).
struct ProgressMessage: Encodable, Sendable {
    struct Detail: Encodable, Sendable { var current: Int64?; var total: Int64? }
    struct PushAux: Encodable, Sendable { var Tag: String; var Digest: String; var Size: Int }
    struct ErrorDetail: Encodable, Sendable { var message: String }

    var status: String?
    var progressDetail: Detail?
    var progress: String?
    var id: String?
    var aux: PushAux?
    var errorDetail: ErrorDetail?
    var error: String?

    init(_ event: RegistryEvent) {
        switch event {
        case .status(let id, let text):
            status = text
            self.id = id
            if id != nil { progressDetail = Detail() }
        case .progress(let id, let text, let current, let total):
            status = text
            self.id = id
            progressDetail = Detail(current: current, total: total)
            progress = Self.bar(current: current, total: total)
        case .pushed(let tag, let digest, let size):
            progressDetail = Detail()
            aux = PushAux(Tag: tag, Digest: digest, Size: size)
        }
    }

    init(failure message: String) {
        errorDetail = ErrorDetail(message: message)
        error = message
    }

    /// docker's progress bar: `[=====>     ]  1.2MB/3.4MB`.
    static func bar(current: Int64, total: Int64) -> String {
        guard total > 0 else { return humanSize(current) }
        let width = 50
        let done = Int(min(Double(width), Double(width) * Double(current) / Double(total)))
        var bar = String(repeating: "=", count: done)
        if done < width { bar += ">" + String(repeating: " ", count: width - done - 1) }
        return "[\(bar)] " + String(repeating: " ", count: 0) + "\(humanSize(current))/\(humanSize(total))"
    }

    /// go-units HumanSize: decimal units, 4 significant digits.
    static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        var text = value >= 100 ? String(Int(value.rounded())) : String((value * 100).rounded() / 100)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text + units[unit]
    }
}

/// The credentials of an `X-Registry-Auth` header.
private func registryCredentials(_ request: APIRequest) -> RegistryCredentials? {
    RegistryCredentials.fromHeader(request.header("X-Registry-Auth")).credentials
}

/// Streams `work`'s events as JSON messages; its error ends the stream as `errorDetail`.
private func progressStream(
    _ work: @escaping @Sendable (@escaping @Sendable (RegistryEvent) -> Void) async throws -> Void
) -> APIResponse {
    .stream { writer in
        let (messages, continuation) = AsyncStream<ProgressMessage>.makeStream()
        let task = Task {
            do {
                try await work { continuation.yield(ProgressMessage($0)) }
            } catch {
                continuation.yield(ProgressMessage(failure: "\(error)"))
            }
            continuation.finish()
        }
        for await message in messages {
            try await writer.writeJSON(message)
        }
        await task.value
    }
}

/// `POST /images/create?fromImage=NAME&tag=TAG|DIGEST&platform=`: resolved first (a
/// missing image or refused credentials are the response's status), then streamed.
func pullResponse(_ request: APIRequest, engine: Engine, insecure: [String], certsDir: String? = nil) async throws -> APIResponse {
    let from = request.query.string("fromImage") ?? ""
    let tag = request.query.string("tag") ?? ""
    var reference: ImageReference
    do {
        reference = try ImageReference(from)
        if !tag.isEmpty, reference.isNameOnly {
            if tag.contains(":") {
                reference = reference.withDigest(try Digest(tag))
            } else {
                reference = try reference.withTag(tag)
            }
        }
    } catch {
        throw APIError.badRequest("invalid reference format")
    }
    var platform: Platform?
    if let text = request.query.string("platform"), !text.isEmpty {
        guard let parsed = PlatformMatch.parse(text) else { throw APIError.badRequest("invalid platform: \(text)") }
        platform = parsed
    }
    let pull: ImagePull
    do {
        pull = try await ImagePull.prepare(reference, platform: platform, credentials: registryCredentials(request), insecure: insecure,
            certsDir: certsDir)
    } catch let error as RegistryError {
        switch error.kind {
        case .notFound: throw APIError.notFound(error.message)
        case .unauthorized: throw APIError(error.message.hasPrefix("pull access denied") ? 404 : 401, error.message)
        default: throw APIError(500, error.message)
        }
    }
    let store = engine.images
    return progressStream { report in
        let image = try await pull.run(store: store, report: report)
        ImageEvents.publish(engine, "pull", id: image.id, name: pull.reference.familiar)
    }
}

/// `POST /images/{name}/push?tag=`: everything in the stream, errors included.
private func pushResponse(_ request: APIRequest, engine: Engine, insecure: [String], certsDir: String?) throws -> APIResponse {
    let name = request.param("name")
    let tag = request.query.string("tag") ?? ""
    var reference: ImageReference
    do {
        reference = try ImageReference(name)
        if !tag.isEmpty { reference = try reference.nameOnly.withTag(tag) }
    } catch {
        throw APIError.badRequest("invalid reference format")
    }
    guard reference.digest == nil else { throw APIError.badRequest("cannot push a digest reference") }
    let credentials = registryCredentials(request)
    let store = engine.images
    let target = reference
    return progressStream { report in
        try await ImagePush.run(target, store: store, credentials: credentials, insecure: insecure, certsDir: certsDir, report: report)
        if let image = try? await store.resolve(target.withDefaultTag().fullName) {
            ImageEvents.publish(engine, "push", id: image.id, name: target.familiar)
        }
    }
}

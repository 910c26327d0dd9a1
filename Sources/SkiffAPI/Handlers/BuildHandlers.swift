import Glibc
import SkiffArchive
import SkiffBuilder
import SkiffEngine
import SkiffImage
import SkiffOCI
import SkiffSystem

/// `POST /build`: the classic builder's endpoint. The body is the build context as a tar
/// (plain, gzip or zstd); the answer a stream of JSON messages: `stream` text as the
/// docker CLI prints it, `aux` with the image id, `errorDetail` when the build fails.
func registerBuildRoutes(_ router: inout Router, engine: Engine) {
    router.post("/build") { request in
        let build = try buildRequest(request.query)
        let quiet = request.query.bool("q") ?? false
        let source = request.body.byteSource()
        return .stream { writer in
            var build = build
            let directory: String
            do {
                directory = try Builder.makeContextDirectory(engine)
            } catch {
                try await writer.writeJSON(JSONMessage.failure("build context: \(error)"))
                return
            }
            defer { Builder.discardContextDirectory(directory, engine: engine) }
            build.contextDirectory = directory
            do {
                try await unpackContext(source, into: directory)
            } catch {
                try await writer.writeJSON(JSONMessage.failure("Error processing tar file: \(error)"))
                return
            }
            // Build events, and a tick each second: a quiet RUN still writes (a blank line, which
            // JSON stream readers skip), so a client that went away is noticed and the build stops.
            let (items, continuation) = AsyncStream<BuildStreamItem>.makeStream()
            let builder = Builder(engine: engine, request: build) { continuation.yield(.event($0)) }
            let task = Task { () -> Result<ImageRecord, BuildError> in
                defer { continuation.finish() }
                do throws(BuildError) {
                    return .success(try await builder.build())
                } catch {
                    return .failure(error)
                }
            }
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    continuation.yield(.tick)
                }
            }
            defer { ticker.cancel() }
            var connected = true
            // -q: the progress is held back, and sent only if the build fails (as dockerd does).
            var heldBack: [JSONMessage] = []
            for await item in items where connected {
                let messages: [JSONMessage]
                switch item {
                case .event(let event):
                    messages = BuildMessages.messages(event, quiet: quiet)
                    if quiet { heldBack += BuildMessages.messages(event, quiet: false).filter { $0.aux == nil } }
                case .tick:
                    do {
                        try await writer.write([0x0A])
                    } catch {
                        connected = false
                        task.cancel()
                    }
                    continue
                }
                for message in messages where connected {
                    do {
                        try await writer.writeJSON(message)
                    } catch {
                        connected = false
                        task.cancel()
                    }
                }
            }
            // The connection closed (this request's task is cancelled then, which ends the loop).
            if Task.isCancelled || !connected { task.cancel() }
            switch await task.value {
            case .success(let image):
                for tag in build.tags { await ImageEvents.record(engine, "tag", image, name: tag) }
            case .failure(let error):
                guard connected else { return }
                for message in heldBack { try await writer.writeJSON(message) }
                var message = JSONMessage.failure(error.message)
                message.errorDetail?.code = error.exitCode.map(Int.init)
                try await writer.writeJSON(message)
            }
        }
    }
}

/// What the build's response loop handles.
private enum BuildStreamItem: Sendable {
    case event(BuildEvent)
    case tick
}

/// The query of `POST /build` as a BuildRequest (its context directory still to be set).
private func buildRequest(_ query: Query) throws(APIError) -> BuildRequest {
    if let remote = query.string("remote"), !remote.isEmpty {
        throw APIError.badRequest("remote build contexts are not supported: send the context as the request body")
    }
    var build = BuildRequest(contextDirectory: "")
    build.tags = query.strings("t").filter { !$0.isEmpty }
    for tag in build.tags {
        do {
            let reference = try ImageReference(tag)
            guard reference.digest == nil else { throw APIError.badRequest("invalid reference format: \(tag) has a digest") }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest("invalid reference format: repository name (\(tag)) must be lowercase")
        }
    }
    if let dockerfile = query.string("dockerfile"), !dockerfile.isEmpty { build.dockerfile = dockerfile }
    if let text = query.string("buildargs"), !text.isEmpty {
        let arguments = try RequestBody.decodeJSON([String: String?].self, from: Array(text.utf8))
        build.buildArguments = arguments.compactMapValues { $0 }
        build.namedArguments = Set(arguments.filter { $0.value == nil }.keys)
    }
    if let text = query.string("labels"), !text.isEmpty {
        build.labels = try RequestBody.decodeJSON([String: String].self, from: Array(text.utf8))
    }
    if let target = query.string("target"), !target.isEmpty { build.target = target }
    build.noCache = query.bool("nocache") ?? false
    if let network = query.string("networkmode"), !network.isEmpty { build.networkMode = network }
    return build
}

/// Unpacks the context on a thread of its own (the body is read blocking).
private func unpackContext(_ source: BodySource, into directory: String) async throws {
    let result: Result<Void, any Error> = await withCheckedContinuation { continuation in
        detachThread {
            continuation.resume(returning: Result {
                // Owners are not kept: clients send the context as root's (docker's ChownOpts), and
                // COPY gives its own (root, or --chown) anyway.
                try RootedTree(root: directory, displayRoot: "context").extract(source, into: "/", options: .init(ownership: .ignore))
            })
        }
    }
    try result.get()
}

/// Build progress as the classic builder's JSON messages.
enum BuildMessages {
    static func messages(_ event: BuildEvent, quiet: Bool) -> [JSONMessage] {
        if case .built(let id) = event {
            let aux = JSONMessage(aux: .init(ID: id))
            return [aux, .stream(quiet ? id + "\n" : "Successfully built \(Digest.short(id))\n")]
        }
        guard !quiet else { return [] }
        switch event {
        case .step(let number, let total, let instruction):
            return [.stream("Step \(number)/\(total) : \(instruction)\n")]
        case .usingCache:
            return [.stream(" ---> Using cache\n")]
        case .runningIn(let id):
            return [.stream(" ---> Running in \(id.prefix(12))\n")]
        case .output(let bytes):
            return [.stream(String(decoding: bytes, as: UTF8.self))]
        case .removedContainer(let id):
            return [.stream(" ---> Removed intermediate container \(id.prefix(12))\n")]
        case .stepImage(let id):
            return [.stream(" ---> \(Digest.short(id))\n")]
        case .message(let text):
            return [.stream(text)]
        case .tagged(let name):
            return [.stream("Successfully tagged \(name)\n")]
        case .built:
            return []
        }
    }
}

extension Digest {
    /// `sha256:abc...` as docker shows ids: 12 hex digits.
    static func short(_ id: String) -> String {
        String((id.hasPrefix("sha256:") ? id.dropFirst(7) : Substring(id)).prefix(12))
    }
}

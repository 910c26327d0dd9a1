import Glibc

/// What `skiff-compose` uses of the CLI, and nothing more: the daemon connection (the same
/// host rules and auto-start as `skiff`), JSON bodies and streams, docker's unit parsers,
/// and the demultiplexing of log streams. Everything behind it stays internal to the CLI.
package final class DaemonConnection {
    private let session: Session

    /// `host` is -H; nil follows SKIFF_HOST, DOCKER_HOST, then the default socket.
    package init(host: String?) {
        session = Session(hostOption: host, environment: Environment.current())
    }

    /// Sends a request and parses its JSON answer; a status of 400 or more throws `DaemonError`.
    package func json(_ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil) throws -> JSON {
        try session.client().json(method, path, query: Query(query), body: body)
    }

    /// Sends a request whose answer matters only by its status.
    package func call(_ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil) throws {
        try session.client().call(method, path, query: Query(query), body: body)
    }

    /// Sends a request and returns its body as a stream of chunks (nil at the end).
    package func stream(_ method: String, _ path: String, query: [(String, String)] = []) throws -> ByteStream {
        let response = try session.client().send(method, path, query: Query(query))
        return ByteStream(body: response.body)
    }

    /// Displays a JSON message stream (pull, push, load) as the CLI does; its error throws.
    package func displayMessages(_ stream: ByteStream, toStandardError: Bool) throws {
        try JSONMessages.display(stream.body, to: toStandardError ? 2 : nil)
    }
}

/// A response body read chunk by chunk.
package final class ByteStream {
    fileprivate let body: ResponseBody
    fileprivate init(body: ResponseBody) { self.body = body }

    /// The next chunk, or nil at the end.
    package func next() throws -> [UInt8]? { try body.next() }
}

/// Docker's multiplexed stdout/stderr stream taken apart incrementally.
package struct MultiplexedStream {
    private var demux = StreamDemux()
    package init() {}

    /// Feeds bytes; `emit` gets each payload with whether it came from stderr.
    package mutating func feed(_ bytes: [UInt8], emit: (_ stderr: Bool, _ payload: ArraySlice<UInt8>) -> Void) throws {
        try demux.feed(bytes[...]) { stream, payload in emit(stream == .stderr, payload) }
    }
}

/// go-units and docker's opts parsers, for compose's sizes and CPU counts.
package enum DockerUnits {
    /// "512m", "1g", "1.5GiB" → bytes.
    package static func bytes(_ text: String) throws -> Int64 {
        do { return try Units.ramInBytes(text) } catch { throw CLIError(error.description) }
    }

    /// "1.5", "3/2" → billionths of a CPU.
    package static func nanoCPUs(_ text: String) throws -> Int64 {
        do { return try Units.nanoCPUs(text) } catch { throw CLIError(error.description) }
    }
}

extension DockerUnits {
    /// Go's time.ParseDuration: "1m30s", "500ms" → nanoseconds.
    package static func duration(_ text: String) throws -> Int64 {
        do { return try GoDuration.parse(text) } catch { throw CLIError(error.description) }
    }

    /// A `--since`/`--until` value as the API takes it (docker's client converts it
    /// too): a duration before now, an RFC 3339 time, or a unix timestamp.
    package static func apiTimestamp(_ text: String) throws -> String {
        try GoTime.apiTimestamp(text, now: Clock.now())
    }
}

/// skiff's version, which `skiff compose version` reports.
package let skiffVersionText = SkiffVersion.version

extension DockerUnits {
    /// go-units HumanDuration: "5 seconds", "About a minute", "2 hours".
    package static func humanDuration(seconds: Double) -> String { Units.humanDuration(seconds: seconds) }

    /// go-units HumanSizeWithPrecision(size, 3): "1.2MB" (decimal multiples), as `images` prints sizes.
    package static func humanSize(_ bytes: Double) -> String { Units.humanSize(bytes) }
}

/// docker's tabwriter layout (columns padded to the widest cell, 3 spaces apart).
package func formatTable(_ rows: [[String]]) -> String {
    TabWriter().format(rows.map { $0.joined(separator: "\t") + "\n" }.joined())
}

/// A name escaped for a URL path as the CLI escapes it (image references keep `/`, `:`, `@`).
package func escapePath(_ name: String) -> String { Query.escapePath(name) }

extension DaemonConnection {
    /// `PUT /containers/{id}/archive?path=PATH` with a tar to extract there.
    package func putArchive(_ id: String, path: String, tar: [UInt8]) throws {
        let response = try session.client().send(
            "PUT", "/containers/\(Query.escapePath(id))/archive", query: Query([("path", path)]),
            body: .bytes(tar, contentType: "application/x-tar"))
        _ = try response.body.readAll()
    }
}

/// A container's `Ports` as `docker ps` prints them (`127.0.0.1:8080->80/tcp, 9000/tcp`, ranges grouped).
package func portsText(_ ports: [JSON]) -> String { displayablePorts(ports) }

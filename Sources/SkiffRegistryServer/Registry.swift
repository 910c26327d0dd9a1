import FoundationEssentials
import Glibc
import NIOCore
import SkiffHTTP
import SkiffImage
import SkiffOCI

/// The registry: the OCI distribution spec v1.1 over SkiffHTTP, on a
/// RegistryStorage. Every answer carries `Docker-Distribution-API-Version:
/// registry/2.0`; every error is the spec's JSON.
public final class Registry: HTTPResponder {
    public let storage: RegistryStorage
    let uploads: Uploads
    let log: ServerLogger
    public let access: AccessPolicy

    /// The largest manifest accepted (distribution's default).
    public static let maxManifestSize = 4 << 20

    public init(storage: RegistryStorage, log: ServerLogger = ServerLogger(), access: AccessPolicy = AccessPolicy()) {
        self.storage = storage
        self.access = access
        uploads = Uploads(storage: storage)
        self.log = log
    }

    // MARK: HTTPResponder

    package var commonHeaders: [(name: String, value: String)] {
        [("Docker-Distribution-API-Version", "registry/2.0")]
    }

    package func malformedRequest(_ message: String) -> HTTPResponse {
        Self.error(RegistryError(.unsupported, status: 400, message: message))
    }

    package func inputError(_ message: String) -> any Error {
        RegistryError(.blobUploadInvalid, message: message)
    }

    package func respond(method: String, target: String, headers: Headers, body: InboundStream) async -> HTTPResponse {
        do {
            let request = try RegistryRequest(method: method, target: target, headers: headers, body: body)
            try access.check(
                method: request.method, isBaseCheck: request.segments == ["v2"], authorization: headers["Authorization"])
            if request.segments.isEmpty || request.segments.first == "ui" {
                return try hub(request)
            }
            return try await route(request)
        } catch let error as RegistryError {
            if error.status >= 500 { log.error("\(method) \(target): \(error)") }
            return Self.error(error)
        } catch {
            log.error("\(method) \(target): \(error)")
            return Self.error(RegistryError(.unknown, status: 500, detail: "\(error)"))
        }
    }

    static func error(_ error: RegistryError) -> HTTPResponse {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json; charset=utf-8")]
        if error.code == .unauthorized { headers.append(("WWW-Authenticate", AccessPolicy.challenge)) }
        return HTTPResponse(status: error.status, headers: headers, body: .bytes(error.body))
    }

    // MARK: Routing

    func route(_ request: RegistryRequest) async throws -> HTTPResponse {
        guard let route = Route(request.segments) else { throw RegistryError(.notFound) }
        if let name = route.name, !RegistryNames.isValidRepository(name) {
            throw RegistryError(.nameInvalid, detail: "invalid repository name: \(name)")
        }
        let method = request.method
        switch (route, method) {
        case (.base, "GET"), (.base, "HEAD"):
            return json(Array("{}".utf8))
        case (.catalog, "GET"):
            return try catalog(request)
        case (.tags(let name), "GET"):
            return try tags(name, request)
        case (.manifest(let name, let reference), "GET"), (.manifest(let name, let reference), "HEAD"):
            return try getManifest(name, reference, head: method == "HEAD")
        case (.manifest(let name, let reference), "PUT"):
            return try await putManifest(name, reference, request)
        case (.manifest(let name, let reference), "DELETE"):
            return try deleteManifest(name, reference)
        case (.blob(let name, let digest), "GET"), (.blob(let name, let digest), "HEAD"):
            return try getBlob(name, digest, request, head: method == "HEAD")
        case (.blob(let name, let digest), "DELETE"):
            return try deleteBlob(name, digest)
        case (.uploads(let name), "POST"):
            return try await startUpload(name, request)
        case (.upload(let name, let id), "GET"):
            return try uploadStatus(try uploads.session(id, repository: name), status: 204)
        case (.upload(let name, let id), "PATCH"):
            return try await patchUpload(try uploads.session(id, repository: name), request)
        case (.upload(let name, let id), "PUT"):
            return try await completeUpload(name, try uploads.session(id, repository: name), request)
        case (.referrers(let name, let digest), "GET"):
            return try referrers(name, digest, request)
        case (.upload(let name, let id), "DELETE"):
            try uploads.cancel(try uploads.session(id, repository: name))
            return HTTPResponse(status: 204)
        default:
            throw RegistryError(.unsupported, detail: "\(method) is not supported on this path")
        }
    }

    func json(_ bytes: [UInt8], status: Int = 200, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: .bytes(bytes))
    }

    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    // MARK: Listing

    /// `n` and `last` applied to a sorted list; the Link header when more remain.
    func paginate(_ all: [String], _ request: RegistryRequest, path: String) throws -> ([String], [(name: String, value: String)]) {
        var items = all
        if let last = request.query("last"), !last.isEmpty { items = items.filter { $0 > last } }
        guard let text = request.query("n"), !text.isEmpty else { return (items, []) }
        guard let n = Int(text), n >= 0 else {
            throw RegistryError(.unsupported, status: 400, message: "invalid n: \(text)")
        }
        guard items.count > n else { return (items, []) }
        let page = Array(items.prefix(n))
        guard let last = page.last else { return (page, []) }
        let link = "<\(path)?n=\(n)&last=\(percentEncode(last))>; rel=\"next\""
        return (page, [("Link", link)])
    }

    func catalog(_ request: RegistryRequest) throws -> HTTPResponse {
        struct Catalog: Encodable { var repositories: [String] }
        let (page, headers) = try paginate(storage.repositories(), request, path: "/v2/_catalog")
        return json(try encode(Catalog(repositories: page)), headers: headers)
    }

    func tags(_ name: String, _ request: RegistryRequest) throws -> HTTPResponse {
        struct TagList: Encodable {
            var name: String
            var tags: [String]
        }
        guard let all = storage.tags(name) else { throw RegistryError(.nameUnknown, detail: "repository \(name) not found") }
        let (page, headers) = try paginate(all, request, path: "/v2/\(name)/tags/list")
        return json(try encode(TagList(name: name, tags: page)), headers: headers)
    }

    // MARK: Manifests

    func getManifest(_ name: String, _ reference: String, head: Bool) throws -> HTTPResponse {
        guard let (bytes, mediaType, digest) = storage.manifest(name, reference: reference) else {
            throw RegistryError(.manifestUnknown, detail: "manifest \(reference) of \(name) not found")
        }
        let headers: [(name: String, value: String)] = [
            ("Content-Type", mediaType), ("Docker-Content-Digest", digest.description), ("ETag", "\"\(digest)\""),
        ]
        if head {
            return HTTPResponse(headers: headers + [("Content-Length", String(bytes.count))], body: .stream { _ in })
        }
        return HTTPResponse(headers: headers, body: .bytes(bytes))
    }

    func putManifest(_ name: String, _ reference: String, _ request: RegistryRequest) async throws -> HTTPResponse {
        var tag: String?
        var expected: Digest?
        if reference.contains(":") {
            guard let digest = RegistryNames.digest(reference) else {
                throw RegistryError(.digestInvalid, message: "invalid digest: \(reference)")
            }
            expected = digest
        } else {
            guard RegistryNames.isValidTag(reference) else { throw RegistryError(.tagInvalid, detail: "invalid tag: \(reference)") }
            tag = reference
        }
        var bytes: [UInt8] = []
        while let chunk = try await request.body.next() {
            guard bytes.count + chunk.readableBytes <= Self.maxManifestSize else {
                request.body.discard()
                throw RegistryError(
                    .manifestInvalid, status: 413, message: "manifest is larger than \(Self.maxManifestSize) bytes")
            }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        let digest = Digest.sha256(of: bytes)
        if let expected, expected != digest {
            throw RegistryError(.digestInvalid, detail: "the manifest's digest is \(digest), not \(expected)")
        }
        // The Content-Type, when given, must be a manifest or index type (or a generic JSON one).
        var contentType = request.headers["Content-Type"].map { trim(String($0.prefix { $0 != ";" })) }
        if contentType == "" || contentType == "application/json" || contentType == "application/octet-stream" { contentType = nil }
        let parsed: ManifestOrIndex
        do {
            parsed = try ManifestOrIndex.decode(Data(bytes), mediaType: contentType)
        } catch {
            throw RegistryError(.manifestInvalid, detail: error.description)
        }
        let mediaType: String
        var subject: Digest?
        switch parsed {
        case .manifest(let manifest):
            mediaType = contentType ?? manifest.mediaType ?? MediaType.ociManifest
            subject = manifest.subject?.digest
            guard manifest.schemaVersion == 2 else { throw RegistryError(.manifestInvalid, detail: "schemaVersion must be 2") }
            for descriptor in [manifest.config] + manifest.layers {
                // Foreign and non-distributable layers live elsewhere (their urls).
                if MediaType.isNondistributable(descriptor.mediaType) { continue }
                guard storage.repositoryHasBlob(name, descriptor.digest) else {
                    throw RegistryError(.manifestBlobUnknown, detail: "blob \(descriptor.digest) is not in \(name)")
                }
                if let size = storage.blobSize(descriptor.digest), size != descriptor.size {
                    throw RegistryError(
                        .manifestInvalid, detail: "blob \(descriptor.digest) has \(size) bytes, the manifest says \(descriptor.size)")
                }
            }
        case .index(let index):
            mediaType = contentType ?? index.mediaType ?? MediaType.ociIndex
            subject = index.subject?.digest
            guard index.schemaVersion == 2 else { throw RegistryError(.manifestInvalid, detail: "schemaVersion must be 2") }
            for descriptor in index.manifests where !storage.hasManifest(name, descriptor.digest) {
                throw RegistryError(.manifestBlobUnknown, detail: "manifest \(descriptor.digest) is not in \(name)")
            }
        }
        let stored = try storage.putManifest(name, bytes: bytes, mediaType: mediaType, tag: tag)
        var headers: [(name: String, value: String)] = [
            ("Location", "/v2/\(name)/manifests/\(stored)"), ("Docker-Content-Digest", stored.description),
        ]
        // The referrers API is served: clients need not keep a fallback tag.
        if let subject { headers.append(("OCI-Subject", subject.description)) }
        return HTTPResponse(status: 201, headers: headers)
    }

    func deleteManifest(_ name: String, _ reference: String) throws -> HTTPResponse {
        if let digest = RegistryNames.digest(reference) {
            guard storage.deleteManifest(name, digest) else {
                throw RegistryError(.manifestUnknown, detail: "manifest \(digest) of \(name) not found")
            }
        } else {
            guard storage.deleteTag(name, reference) else {
                throw RegistryError(.manifestUnknown, detail: "tag \(reference) of \(name) not found")
            }
        }
        return HTTPResponse(status: 202)
    }

    // MARK: Blobs

    func parseDigest(_ text: String) throws(RegistryError) -> Digest {
        guard let digest = RegistryNames.digest(text) else {
            throw RegistryError(.digestInvalid, message: "invalid digest: \(text)")
        }
        return digest
    }

    func getBlob(_ name: String, _ text: String, _ request: RegistryRequest, head: Bool) throws -> HTTPResponse {
        let digest = try parseDigest(text)
        guard storage.repositoryHasBlob(name, digest), let size = storage.blobSize(digest) else {
            throw RegistryError(.blobUnknown, detail: "blob \(digest) of \(name) not found")
        }
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/octet-stream"), ("Docker-Content-Digest", digest.description),
            ("ETag", "\"\(digest)\""), ("Accept-Ranges", "bytes"), ("Cache-Control", "max-age=31536000"),
        ]
        var status = 200
        var start: Int64 = 0
        var length = size
        if let range = request.headers["Range"], !head {
            guard let (first, last) = Self.parseRange(range, size: size) else {
                return HTTPResponse(status: 416, headers: [("Content-Range", "bytes */\(size)")])
            }
            status = 206
            start = first
            length = last - first + 1
            headers.append(("Content-Range", "bytes \(first)-\(last)/\(size)"))
        }
        headers.append(("Content-Length", String(length)))
        if head { return HTTPResponse(status: status, headers: headers, body: .stream { _ in }) }
        guard let fd = storage.openBlob(digest) else {
            throw RegistryError(.blobUnknown, detail: "blob \(digest) vanished")
        }
        let file = FileHandleBox(fd)
        return HTTPResponse(status: status, headers: headers, body: .stream { [start, length] writer in
            defer { file.close() }
            var offset = start
            let end = start + length
            while offset < end {
                let count = Int(min(end - offset, 1 << 20))
                var buffer = writer.allocator.buffer(capacity: count)
                let n = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
                    while true {
                        let n = pread(file.fd, raw.baseAddress, count, off_t(offset))
                        if n < 0, errno == EINTR { continue }
                        guard n > 0 else { throw RegistryError(.unknown, status: 500, detail: "read blob \(digest)") }
                        return n
                    }
                }
                offset += Int64(n)
                try await writer.write(buffer)
            }
        })
    }

    /// `bytes=first-last`, `bytes=first-`, `bytes=-suffix` (one range), within `size`.
    static func parseRange(_ text: String, size: Int64) -> (Int64, Int64)? {
        guard text.hasPrefix("bytes="), size > 0 else { return nil }
        let spec = text.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let a = trim(String(spec[..<dash])), b = trim(String(spec[spec.index(after: dash)...]))
        if a.isEmpty {
            guard let suffix = Int64(b), suffix > 0 else { return nil }
            return (max(0, size - suffix), size - 1)
        }
        guard let first = Int64(a), first >= 0, first < size else { return nil }
        if b.isEmpty { return (first, size - 1) }
        guard let last = Int64(b), last >= first else { return nil }
        return (first, min(last, size - 1))
    }

    func deleteBlob(_ name: String, _ text: String) throws -> HTTPResponse {
        let digest = try parseDigest(text)
        guard storage.unlinkBlob(name, digest) else {
            throw RegistryError(.blobUnknown, detail: "blob \(digest) of \(name) not found")
        }
        return HTTPResponse(status: 202, headers: [("Docker-Content-Digest", digest.description)])
    }

    // MARK: Uploads

    func startUpload(_ name: String, _ request: RegistryRequest) async throws -> HTTPResponse {
        if let mount = request.query("mount"), let digest = RegistryNames.digest(mount) {
            if let from = request.query("from"), RegistryNames.isValidRepository(from), storage.repositoryHasBlob(from, digest) {
                try storage.linkBlob(name, digest)
                return blobCreated(name, digest)
            }
            if request.query("from") == nil, storage.repositoryHasBlob(name, digest) {
                return blobCreated(name, digest)
            }
        }
        if let text = request.query("digest") {
            // Monolithic: the whole blob in this request.
            let expected = try parseDigest(text)
            var writer = try storage.content.writer()
            let digest = try await commit(&writer, body: request.body, expected: expected)
            try storage.linkBlob(name, digest)
            return blobCreated(name, digest)
        }
        let session = try uploads.start(name)
        return try uploadStatus(session, status: 202)
    }

    func blobCreated(_ name: String, _ digest: Digest) -> HTTPResponse {
        HTTPResponse(
            status: 201,
            headers: [("Location", "/v2/\(name)/blobs/\(digest)"), ("Docker-Content-Digest", digest.description)])
    }

    func uploadStatus(_ session: Uploads.Session, status: Int) throws -> HTTPResponse {
        guard let size = session.size else {
            throw RegistryError(.blobUploadInvalid, detail: "another request is writing to upload \(session.id)")
        }
        return HTTPResponse(status: status, headers: uploadHeaders(session, size: size))
    }

    func uploadHeaders(_ session: Uploads.Session, size: Int64) -> [(name: String, value: String)] {
        [
            ("Location", "/v2/\(session.repository)/blobs/uploads/\(session.id)"),
            ("Range", "0-\(max(0, size - 1))"),
            ("Docker-Upload-UUID", session.id),
        ]
    }

    func patchUpload(_ session: Uploads.Session, _ request: RegistryRequest) async throws -> HTTPResponse {
        guard var writer = session.take() else {
            throw RegistryError(.blobUploadInvalid, detail: "another request is writing to upload \(session.id)")
        }
        defer { session.give(writer) }
        if let refused = rangeNotSatisfiable(session, writer, request) { return refused }
        do {
            _ = try await Uploads.append(request.body, to: &writer)
        } catch {
            // A chunk cut short leaves the upload unusable: drop it.
            writer.abort()
            uploads.remove(session.id)
            throw RegistryError(.blobUploadInvalid, detail: "chunk cut short: \(error)")
        }
        return HTTPResponse(status: 202, headers: uploadHeaders(session, size: writer.size))
    }

    /// 416 (the session unchanged) when the request's Content-Range does not
    /// start where the bytes received so far end; nil when it does, or has none.
    func rangeNotSatisfiable(_ session: Uploads.Session, _ writer: BlobWriter, _ request: RegistryRequest) -> HTTPResponse? {
        guard let range = request.headers["Content-Range"] else { return nil }
        let parts = range.replacing("bytes ", with: "").split(separator: "-")
        if parts.count == 2, let first = Int64(parts[0]), let last = Int64(parts[1]), first == writer.size, last >= first {
            return nil
        }
        return HTTPResponse(
            status: 416, headers: uploadHeaders(session, size: writer.size) + [("Content-Type", "application/json; charset=utf-8")],
            body: .bytes(RegistryError(.blobUploadInvalid, status: 416, message: "range \(range) does not follow the \(writer.size) bytes received").body))
    }

    func completeUpload(_ name: String, _ session: Uploads.Session, _ request: RegistryRequest) async throws -> HTTPResponse {
        guard let text = request.query("digest") else {
            throw RegistryError(.digestInvalid, message: "the digest parameter is required")
        }
        let expected = try parseDigest(text)
        guard var writer = session.take() else {
            throw RegistryError(.blobUploadInvalid, detail: "another request is writing to upload \(session.id)")
        }
        // A last chunk out of order is refused like a PATCH's: the session goes on.
        if let refused = rangeNotSatisfiable(session, writer, request) {
            session.give(writer)
            return refused
        }
        // Whatever happens now the session ends: committed, or dropped.
        uploads.remove(session.id)
        let digest = try await commit(&writer, body: request.body, expected: expected)
        try storage.linkBlob(name, digest)
        return blobCreated(name, digest)
    }

    /// Appends `body` to `writer` and commits it if it hashes to `expected`;
    /// otherwise drops it all (nothing is stored) and throws DIGEST_INVALID.
    func commit(_ writer: inout BlobWriter, body: InboundStream, expected: Digest) async throws -> Digest {
        guard expected.algorithm == .sha256 else {
            writer.abort()
            throw RegistryError(.digestInvalid, message: "unsupported digest algorithm \(expected.algorithm) (sha256 only)")
        }
        do {
            _ = try await Uploads.append(body, to: &writer)
        } catch {
            writer.abort()
            throw RegistryError(.blobUploadInvalid, detail: "upload cut short: \(error)")
        }
        do {
            return try writer.commit(mediaType: "application/octet-stream", expected: expected).digest
        } catch {
            if error.kind == .digestMismatch { throw RegistryError(.digestInvalid, detail: error.message) }
            throw error
        }
    }
}

/// A file descriptor closed once, from whichever side finishes with it.
final class FileHandleBox: @unchecked Sendable {
    let fd: Int32
    private var closed = false
    init(_ fd: Int32) { self.fd = fd }
    func close() {
        if !closed { closed = true; Glibc.close(fd) }
    }
    deinit { close() }
}

/// Percent-encodes a value for a query string.
func percentEncode(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "/"):
            out.append(Character(Unicode.Scalar(byte)))
        default:
            out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }
    }
    return out
}

/// Without leading and trailing spaces and tabs.
func trim(_ text: String) -> String {
    var s = Substring(text)
    while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" { s.removeLast() }
    return String(s)
}

import AsyncHTTPClient
import Glibc
import NIOCore
import SkiffArchive

/// ADD's remote sources: a URL fetched by the daemon (redirects followed, TLS checked
/// against the system's roots) into a file of the build's own.
struct Download: Sendable {
    /// The file's name in the image when the destination is a directory: the URL path's
    /// last component.
    let name: String
    /// Where the body was saved.
    let path: String
    let size: Int64

    /// Fetches `url` into `directory` (which must exist).
    static func fetch(_ url: String, into directory: String, index: Int) async throws(BuildError) -> Download {
        let withoutQuery = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        let afterScheme = withoutQuery.split(separator: "/", omittingEmptySubsequences: true).dropFirst(2)
        guard let last = afterScheme.last, !last.isEmpty else {
            throw BuildError("cannot determine filename from url: \(url)")
        }
        let path = directory + "/\(index)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BuildError("ADD \(url): open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var size: Int64 = 0
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(600))
            guard response.status == .ok else {
                throw BuildError("failed to GET \(url) with status \(response.status.code) \(response.status.reasonPhrase)")
            }
            for try await chunk in response.body {
                try chunk.withUnsafeReadableBytes { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            throw BuildError("ADD \(url): write: \(String(cString: strerror(errno)))")
                        }
                        offset += written
                    }
                }
                size += Int64(chunk.readableBytes)
            }
        } catch let error as BuildError {
            throw error
        } catch {
            throw BuildError("ADD \(url): \(error)")
        }
        return Download(name: String(last), path: path, size: size)
    }
}

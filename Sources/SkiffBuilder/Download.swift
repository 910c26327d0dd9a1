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
    /// The server's `Last-Modified`, which becomes the file's time.
    let modified: TarTimestamp?

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
        var modified: TarTimestamp?
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(600))
            guard response.status == .ok else {
                throw BuildError("failed to GET \(url) with status \(response.status.code) \(response.status.reasonPhrase)")
            }
            modified = response.headers.first(name: "Last-Modified").flatMap(Self.httpDate)
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
        return Download(name: String(last), path: path, size: size, modified: modified)
    }

    /// An HTTP date (RFC 9110 IMF-fixdate: `Wed, 21 Oct 2015 07:28:00 GMT`) as a time.
    static func httpDate(_ text: String) -> TarTimestamp? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[5] == "GMT", let day = Int32(parts[1]), let month = months.firstIndex(of: String(parts[2])),
              let year = Int32(parts[3]) else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int32($0) }
        guard clock.count == 3 else { return nil }
        var fields = tm()
        fields.tm_year = year - 1900
        fields.tm_mon = Int32(month)
        fields.tm_mday = day
        fields.tm_hour = clock[0]
        fields.tm_min = clock[1]
        fields.tm_sec = clock[2]
        let seconds = timegm(&fields)
        return seconds < 0 ? nil : TarTimestamp(seconds: Int64(seconds))
    }
}

import Foundation
import SkiffCLI

/// Prints several containers' logs line by line with compose's `name  | ` prefixes
/// (coloured on a terminal), one thread per container.
final class LogFollower: @unchecked Sendable {
    struct Options {
        var follow = false
        var tail: String?
        var timestamps = false
        var since: String?
        var until: String?
        var prefix = true
        var color = Console.stdoutIsTerminal
    }

    private let host: String?
    private let options: Options
    private let width: Int
    private let group = DispatchGroup()
    private static let colors = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"]

    init(host: String?, names: [String], options: Options) {
        self.host = host
        self.options = options
        width = names.map(\.count).max() ?? 0
    }

    /// Starts following container `id`; `onEnd` runs when its stream ends (follow: the
    /// container stopped).
    func add(id: String, name: String, index: Int, onEnd: (@Sendable () -> Void)? = nil) {
        let prefix: String
        if options.prefix {
            let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
            prefix = options.color
                ? "\u{1B}[\(Self.colors[index % Self.colors.count])m\(padded)  |\u{1B}[0m "
                : "\(padded)  | "
        } else {
            prefix = ""
        }
        let host = self.host
        let options = self.options
        group.enter()
        let thread = Thread { [group] in
            defer { group.leave() }
            LogFollower.stream(host: host, id: id, prefix: prefix, options: options)
            onEnd?()
        }
        thread.start()
    }

    /// Blocks until every stream has ended.
    func wait() { group.wait() }

    private static func stream(host: String?, id: String, prefix: String, options: Options) {
        let daemon = DaemonConnection(host: host)
        var query: [(String, String)] = [("stdout", "1"), ("stderr", "1")]
        if options.follow { query.append(("follow", "1")) }
        if let t = options.tail { query.append(("tail", t)) }
        if options.timestamps { query.append(("timestamps", "1")) }
        if let s = options.since { query.append(("since", s)) }
        if let u = options.until { query.append(("until", u)) }
        let tty = (try? daemon.inspect(id))??["Config"]?["Tty"]?.bool ?? false
        guard let body = try? daemon.stream("GET", "/containers/\(id)/logs", query: query) else { return }
        var demux = MultiplexedStream()
        var pending: [[UInt8]] = [[], []]
        func emit(_ stream: Int, _ bytes: ArraySlice<UInt8>) {
            pending[stream] += bytes
            while let nl = pending[stream].firstIndex(of: 0x0A) {
                let line = String(decoding: pending[stream][..<nl], as: UTF8.self)
                pending[stream].removeSubrange(...nl)
                Console.write(1, prefix + line.trimmingSuffix("\r") + "\n")
            }
        }
        while let chunk = try? body.next() {
            if tty {
                emit(0, chunk[...])
            } else {
                try? demux.feed(chunk) { isErr, payload in emit(isErr ? 1 : 0, payload) }
            }
        }
        for s in 0..<2 where !pending[s].isEmpty {
            Console.write(1, prefix + String(decoding: pending[s], as: UTF8.self) + "\n")
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

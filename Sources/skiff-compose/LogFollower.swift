import Foundation
import SkiffCLI

/// Prints several containers' logs line by line with compose's `name  | ` prefixes
/// (coloured on a terminal), one thread per container. Following, it takes on
/// containers that start later (`started`), as compose's `logs -f` does.
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
    /// Guards the sets below; signalled when a followed container starts again.
    private let lock = NSCondition()
    /// Containers ever followed, and those with an open stream.
    private var followed: Set<String> = []
    private var streaming: Set<String> = []
    /// Containers that started again while their old stream was still open.
    private var restarted: Set<String> = []
    /// How long a stream that ended waits for its container to start again, once
    /// starts are fed (`takeStarts`): a `restart` stops it first, and the stream
    /// can end in between.
    private var restartGrace: TimeInterval = 0
    private static let colors = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"]

    init(host: String?, names: [String], options: Options) {
        self.host = host
        self.options = options
        width = names.map(\.count).max() ?? 0
    }

    /// Starts following container `id` (from `since`, a Unix time, if given) unless a
    /// stream of it is open; `onEnd` runs when its stream ends (follow: the container
    /// stopped and did not start again).
    func add(id: String, name: String, index: Int, since: String? = nil, onEnd: (@Sendable () -> Void)? = nil) {
        let isNew = lock.withLock {
            followed.insert(id)
            return streaming.insert(id).inserted
        }
        guard isNew else { return }
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
        var first = self.options
        if let since { first.since = since }
        group.enter()
        let thread = Thread { [self, first] in
            defer { group.leave() }
            var options = first
            while true {
                let last = LogFollower.stream(host: host, id: id, prefix: prefix, options: options)
                guard startedAgain(id) else { break }
                options.since = last.flatMap(LogFollower.justAfter) ?? startedAt(id)
            }
            onEnd?()
        }
        thread.start()
    }

    /// Starts will be fed (`started`): a stream that ends waits a moment for its
    /// container to start again before it is done.
    func takeStarts() {
        lock.withLock { restartGrace = 1 }
    }

    /// Container `id` of the followed set started: one new to this follower is
    /// followed from its first line, one followed before from its new start
    /// (by its open stream's thread once that stream ends, if it has one).
    func started(id: String, name: String) {
        let (known, open, index) = lock.withLock {
            if streaming.contains(id) {
                restarted.insert(id)
                lock.broadcast()
            }
            return (followed.contains(id), streaming.contains(id), followed.count)
        }
        if !known {
            add(id: id, name: name, index: index)
        } else if !open {
            add(id: id, name: name, index: index, since: startedAt(id))
        }
    }

    /// For a stream of `id` that ended: whether the container started again
    /// meanwhile or within `restartGrace` (to be followed on); if not, it is no
    /// longer open.
    private func startedAgain(_ id: String) -> Bool {
        return lock.withLock {
            let deadline = Date(timeIntervalSinceNow: restartGrace)
            while restarted.remove(id) == nil {
                if !lock.wait(until: deadline) {
                    if restarted.remove(id) != nil { return true }
                    streaming.remove(id)
                    return false
                }
            }
            return true
        }
    }

    /// The container's last start as the logs API's `since` (its output comes after).
    private func startedAt(_ id: String) -> String? {
        guard let text = (try? DaemonConnection(host: host).inspect(id))??["State"]?["StartedAt"]?.string else { return nil }
        return try? DockerUnits.apiTimestamp(text)
    }

    /// A microsecond after a line's RFC 3339 time, as the logs API's `since` (a line
    /// at that time or later is new; the API compares times as doubles).
    private static func justAfter(_ time: String) -> String? {
        guard let unix = try? DockerUnits.apiTimestamp(time) else { return nil }
        let parts = unix.split(separator: ".")
        guard parts.count == 2, let seconds = Int64(parts[0]), let nanos = Int64(parts[1]) else { return nil }
        let later = seconds * 1_000_000_000 + nanos + 1_000
        return "\(later / 1_000_000_000)." + String(format: "%09lld", later % 1_000_000_000)
    }

    /// Blocks until every stream has ended.
    func wait() { group.wait() }

    /// Prints a container's log; returns the time of the last line printed.
    private static func stream(host: String?, id: String, prefix: String, options: Options) -> String? {
        let daemon = DaemonConnection(host: host)
        // Always with times: a stream followed on after a restart starts after the last line.
        var query: [(String, String)] = [("stdout", "1"), ("stderr", "1"), ("timestamps", "1")]
        if options.follow { query.append(("follow", "1")) }
        if let t = options.tail { query.append(("tail", t)) }
        if let s = options.since { query.append(("since", s)) }
        if let u = options.until { query.append(("until", u)) }
        let tty = (try? daemon.inspect(id))??["Config"]?["Tty"]?.bool ?? false
        guard let body = try? daemon.stream("GET", "/containers/\(id)/logs", query: query) else { return nil }
        var demux = MultiplexedStream()
        var pending: [[UInt8]] = [[], []]
        var last: String?
        // "<RFC 3339 time> <text>"
        func show(_ bytes: ArraySlice<UInt8>) {
            var text = bytes
            if let space = bytes.firstIndex(of: 0x20) {
                last = String(decoding: bytes[..<space], as: UTF8.self)
                if !options.timestamps { text = bytes[(space + 1)...] }
            }
            Console.write(1, prefix + String(decoding: text, as: UTF8.self).trimmingSuffix("\r") + "\n")
        }
        func emit(_ stream: Int, _ bytes: ArraySlice<UInt8>) {
            pending[stream] += bytes
            while let nl = pending[stream].firstIndex(of: 0x0A) {
                show(pending[stream][..<nl])
                pending[stream].removeSubrange(...nl)
            }
        }
        while let chunk = try? body.next() {
            if tty {
                emit(0, chunk[...])
            } else {
                try? demux.feed(chunk) { isErr, payload in emit(isErr ? 1 : 0, payload) }
            }
        }
        for s in 0..<2 where !pending[s].isEmpty { show(pending[s][...]) }
        return last
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

/// The starts of a project's containers, subscribed to (`/events`) before its
/// containers are listed, so none falls between the list and the subscription.
final class ProjectStarts: @unchecked Sendable {
    private let events: ByteStream

    init(host: String?, project: String) throws {
        let filters: JSON = .object(JSONObject([
            ("type", .array([.string("container")])),
            ("event", .array([.string("start")])),
            ("label", .array([.string("\(Label.project)=\(project)")])),
        ]))
        events = try DaemonConnection(host: host).stream("GET", "/events", query: [("filters", filters.compact)])
    }

    /// Hands each start of a service container (of `services`, all if empty; replica
    /// `number` if given; never a one-off) to `follower`, on a thread of its own.
    func feed(_ follower: LogFollower, services: [String], number: Int?) {
        follower.takeStarts()
        Thread { [self] in
            var pending: [UInt8] = []
            while let chunk = try? events.next() {
                pending += chunk
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = pending[..<newline]
                    defer { pending.removeSubrange(...newline) }
                    guard let event = try? JSON.parse(line), let id = event["id"]?.string,
                          let attributes = event["Actor"]?["Attributes"] else { continue }
                    let oneoff = (attributes[Label.oneoff]?.string ?? "False").lowercased() == "true"
                    let service = attributes[Label.service]?.string ?? ""
                    guard !oneoff, services.isEmpty || services.contains(service),
                          number.map({ String($0) == attributes[Label.number]?.string }) ?? true else { continue }
                    follower.started(id: id, name: attributes["name"]?.string ?? String(id.prefix(12)))
                }
            }
        }.start()
    }
}

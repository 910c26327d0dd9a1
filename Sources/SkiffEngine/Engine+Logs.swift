import FoundationEssentials
import Glibc
import SkiffMonitor
import SkiffSystem

/// What `docker logs` asks for.
public struct LogOptions: Sendable {
    public var stdout = true
    public var stderr = true
    public var follow = false
    /// The last lines only (nil: all).
    public var tail: Int?
    /// Unix seconds (fractions allowed); 0: no bound.
    public var since: Double = 0
    public var until: Double = 0
    public init() {}
}

/// One line of a container's log.
public struct LogEntry: Sendable, Equatable {
    /// 1 stdout, 2 stderr.
    public var stream: UInt8
    /// RFC 3339 with nanoseconds.
    public var time: String
    public var line: [UInt8]
}

extension Engine {
    /// The container's log lines (json-file), and with `follow` the lines
    /// that come until it stops: until the run it is in ends, as with dockerd,
    /// even if it starts again at once (`restart`); the new run's lines are not
    /// part of this stream.
    public func logs(_ ref: String, options: LogOptions) throws(EngineError) -> AsyncStream<LogEntry> {
        let id = try resolveID(ref)
        let container = containers[id]!
        guard container.config.logDriver != "none" else {
            throw EngineError(.invalid, "configured logging driver does not support reading")
        }
        let path = logPath(id)
        let maxFiles = container.config.logOptions["max-file"].flatMap { Int($0) } ?? 1
        return AsyncStream { continuation in
            let task = Task {
                let run = self.currentRun(id)
                var reader = JSONLogReader(path: path, options: options)
                var entries: [LogEntry] = []
                for n in stride(from: maxFiles - 1, through: 1, by: -1) {
                    entries += JSONLogReader.readAll("\(path).\(n)", options: options)
                }
                entries += reader.readNew()
                if let tail = options.tail { entries = Array(entries.suffix(max(tail, 0))) }
                for entry in entries { continuation.yield(entry) }
                while options.follow && !Task.isCancelled {
                    let now = self.currentRun(id)
                    let cut = FollowCut.cut(reader.readNew(), run: run, now: now, runEnd: run.flatMap { self.runEnd(id, started: $0) })
                    for entry in cut.entries { continuation.yield(entry) }
                    if cut.ended { break }
                    try? await Task.sleep(nanoseconds: 100_000_000)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// When the container's current run started, or nil if it is not running
    /// (a monitor still being settled counts as running).
    func currentRun(_ id: String) -> String? {
        guard let c = containers[id], c.state.isRunning || watched.contains(id) else { return nil }
        return c.state.startedAt
    }

    /// When the run that started at `started` ended, if the engine has seen it end.
    func runEnd(_ id: String, started: String) -> String? {
        runEnds[id]?.last { $0.started == started }?.finished
    }

    /// Notes that a run of `id` ended (its monitor's exit status): what lets a
    /// follow of that run stop exactly at its last line.
    func recordRunEnd(_ id: String, started: String, finished: String) {
        var ends = runEnds[id] ?? []
        guard ends.last?.started != started else { return }
        ends.append((started, finished))
        runEnds[id] = Array(ends.suffix(Self.runEndsKept))
    }

    /// Enough runs for a follow that missed a few quick restarts between two polls.
    static let runEndsKept = 8
}

/// What one poll of a `logs -f` passes on: the follow is of the run that
/// started at `run`; `now` is the run going on (nil: none).
///
/// Once its run is over the follow ends, with the lines up to the run's end
/// (`runEnd`, the monitor's exit time, taken after it drained the output: every
/// line of the run is at or before it, every line of a later run after it).
/// Without that end, the next run's start bounds it; the monitor notes a start
/// just after the process began, so a next run's first line can come before it.
struct FollowCut {
    var entries: [LogEntry]
    var ended: Bool

    static func cut(_ fresh: [LogEntry], run: String?, now: String?, runEnd: String?) -> FollowCut {
        if let run, now == run { return FollowCut(entries: fresh, ended: false) }
        if let end = runEnd.flatMap(Timestamp.parse) {
            return FollowCut(entries: fresh.filter { (Timestamp.parse($0.time) ?? 0) <= end }, ended: true)
        }
        if let next = now.flatMap(Timestamp.parse) {
            return FollowCut(entries: fresh.filter { (Timestamp.parse($0.time) ?? 0) < next }, ended: true)
        }
        return FollowCut(entries: fresh, ended: true)
    }
}

/// Reads a json-file log incrementally, following rotation.
struct JSONLogReader {
    let path: String
    let options: LogOptions
    var offset: Int64 = 0
    var inode: UInt64 = 0
    var partial: [UInt8] = []

    init(path: String, options: LogOptions) {
        self.path = path
        self.options = options
    }

    static func readAll(_ path: String, options: LogOptions) -> [LogEntry] {
        var reader = JSONLogReader(path: path, options: options)
        return reader.readNew()
    }

    /// Entries written since the last call.
    mutating func readNew() -> [LogEntry] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return [] }
        if UInt64(st.st_ino) != inode || Int64(st.st_size) < offset {
            inode = UInt64(st.st_ino)
            offset = 0
            partial = []
        }
        var bytes = partial
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = pread(fd, &chunk, chunk.count, off_t(offset))
            if n <= 0 { break }
            bytes += chunk[0..<n]
            offset += Int64(n)
        }
        var entries: [LogEntry] = []
        var start = 0
        for i in bytes.indices where bytes[i] == UInt8(ascii: "\n") {
            if let entry = Self.parse(bytes[start..<i]), keep(entry) { entries.append(entry) }
            start = i + 1
        }
        partial = Array(bytes[start...])
        return entries
    }

    func keep(_ entry: LogEntry) -> Bool {
        if entry.stream == 1 && !options.stdout { return false }
        if entry.stream == 2 && !options.stderr { return false }
        if options.since > 0 || options.until > 0 {
            let t = Timestamp.parse(entry.time) ?? 0
            if options.since > 0 && t < options.since { return false }
            if options.until > 0 && t > options.until { return false }
        }
        return true
    }

    struct Line: Decodable {
        var log: String
        var stream: String
        var time: String
    }

    static func parse(_ bytes: ArraySlice<UInt8>) -> LogEntry? {
        guard let line = try? JSONDecoder().decode(Line.self, from: Data(bytes)) else { return nil }
        return LogEntry(stream: line.stream == "stderr" ? 2 : 1, time: line.time, line: Array(line.log.utf8))
    }
}

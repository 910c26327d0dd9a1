import SkiffArchive

/// Where `docker build` shows its progress and the daemon's output: stdout, or with `-q` a
/// buffer that is shown (on stderr) only when the build fails.
final class BuildOutput {
    private let fd: Int32?
    private(set) var buffered: [UInt8] = []

    /// Writes to `fd`, or keeps everything when `fd` is nil.
    init(fd: Int32?) {
        self.fd = fd
    }

    func write(_ text: String) {
        if let fd { Output.write(fd, text) } else { buffered.append(contentsOf: text.utf8) }
    }

    /// What was kept, as text.
    var text: String { String(decoding: buffered, as: UTF8.self) }
}

/// "Sending build context to Docker daemon  3.072kB" as docker's progress reader shows the
/// upload (streamformatter's raw progress output): on a terminal, an update every 512 KiB at
/// most ten times a second, each ending in `\r`; elsewhere only the last one. The last one is
/// followed by `\r\n`.
final class UploadProgress {
    static let action = "Sending build context to Docker daemon"
    static let updateEvery: Int64 = 512 * 1024

    private let output: BuildOutput
    private let showsUpdates: Bool
    private let now: () -> Double
    private(set) var bytes: Int64 = 0
    private var lastUpdate: Int64 = 0
    private var lastShown: Double?

    /// `showsUpdates`: stdout is a terminal. `now` is a clock in seconds (for tests).
    init(output: BuildOutput, showsUpdates: Bool, now: @escaping () -> Double = Clock.monotonic) {
        self.output = output
        self.showsUpdates = showsUpdates
        self.now = now
    }

    /// Counts `count` more bytes sent.
    func add(_ count: Int) {
        bytes += Int64(count)
        guard bytes - lastUpdate > Self.updateEvery else { return }
        lastUpdate = bytes
        // rate.Limiter(every 100ms, burst 1).
        let time = now()
        guard showsUpdates, lastShown.map({ time - $0 >= 0.1 }) ?? true else { return }
        lastShown = time
        output.write(Self.line(bytes))
    }

    /// The last update: the whole context was sent.
    func finish() {
        output.write(Self.line(bytes) + "\r\n")
    }

    /// One update: the action and the size as JSONProgress shows a count without a total.
    static func line(_ bytes: Int64) -> String {
        if bytes <= 0 { return action + " \r\n" }
        let size = Units.humanSize(Double(bytes), precision: 4)
        return action + " " + String(repeating: " ", count: max(0, 8 - size.count)) + size + "\r"
    }
}

/// The `sink` of a build context's tar stream: the request body, the progress counted.
struct UploadSink: ByteSink {
    let writer: BodyWriter
    let progress: UploadProgress

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        try writer.write(bytes)
        progress.add(bytes.count)
    }

    mutating func finish() throws {}
}

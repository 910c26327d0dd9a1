import Glibc
import SkiffMonitor
import SkiffSystem
import Synchronization

/// A connection to a container's monitor after its request line: frames
/// (or lines) arrive on a reading thread, in order; writes go straight out.
public final class MonitorConnection: Sendable {
    public let fd: Int32
    /// Whether a reading thread owns the fd (it closes it when done), and
    /// whether `close` was called.
    private let state = Mutex((reading: false, closed: false))

    init(fd: Int32) {
        self.fd = fd
    }

    /// Connects to `socket` and sends `request`.
    static func open(_ socket: String, _ request: String) throws(EngineError) -> MonitorConnection {
        let fd: Int32
        do {
            fd = try UnixSocket.connect(socket)
        } catch {
            throw EngineError(.system, "monitor: \(error)")
        }
        guard UnixSocket.writeAll(fd, Array((request + "\n").utf8)) else {
            Glibc.close(fd)
            throw EngineError(.system, "monitor: write request")
        }
        return MonitorConnection(fd: fd)
    }

    /// A one-line request and its one-line answer ("ok" or "error ...").
    static func call(_ socket: String, _ request: String) throws(EngineError) -> String {
        let connection = try open(socket, request)
        defer { connection.close() }
        return UnixSocket.readLine(connection.fd) ?? ""
    }

    /// Raw bytes as they arrive; ends at EOF.
    public func chunks() -> AsyncStream<[UInt8]> {
        let fd = self.fd
        state.withLock { $0.reading = true }
        return AsyncStream { continuation in
            detachThread {
                var buffer = [UInt8](repeating: 0, count: 32 * 1024)
                while true {
                    let n = read(fd, &buffer, buffer.count)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    continuation.yield(Array(buffer[0..<n]))
                }
                continuation.finish()
                let closed = self.state.withLock { state in
                    state.reading = false
                    return state.closed
                }
                if closed { Glibc.close(fd) }
            }
        }
    }

    /// Frames (stream, payload) as they arrive; ends at EOF.
    public func frames() -> AsyncStream<(stream: UInt8, payload: [UInt8])> {
        let chunks = chunks()
        return AsyncStream { continuation in
            let task = Task {
                var decoder = FrameDecoder()
                for await chunk in chunks {
                    decoder.feed(chunk)
                    while let frame = decoder.next() { continuation.yield(frame) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Lines as they arrive; ends at EOF.
    func lines() -> AsyncStream<String> {
        let chunks = chunks()
        return AsyncStream { continuation in
            Task {
                var pending: [UInt8] = []
                for await chunk in chunks {
                    pending += chunk
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        continuation.yield(String(decoding: pending[..<newline], as: UTF8.self))
                        pending.removeSubrange(...newline)
                    }
                }
                continuation.finish()
            }
        }
    }

    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        UnixSocket.writeAll(fd, bytes)
    }

    /// Ends what we send (the container's stdin sees EOF where Docker would close it).
    public func closeWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Wakes the reading thread and releases the socket (the thread closes
    /// it when it is done with it).
    public func close() {
        let closeNow = state.withLock { state in
            guard !state.closed else { return false }
            state.closed = true
            return !state.reading
        }
        shutdown(fd, Int32(SHUT_RDWR))
        if closeNow { Glibc.close(fd) }
    }
}

import CSkiffSpawn
import FoundationEssentials
import Glibc

/// `skiff-monitor BUNDLE`: started by skiffd with a readiness pipe on fd 3;
/// forks away from skiffd at once so that the container outlives the daemon.
public enum MonitorProcess {
    public static func main(_ arguments: [String]) -> Never {
        guard arguments.count == 2 else {
            complain("usage: skiff-monitor BUNDLE (started by skiffd)")
            exit(2)
        }
        let bundle = arguments[1]
        // Nothing of skiffd's may stay open here (its listening socket would
        // outlive it): only stdio and the readiness pipe on fd 3.
        _ = skiff_close_from(4)
        // The parent exits now (skiffd reaps it); the child leads its own session.
        switch fork() {
        case -1:
            complain("skiff-monitor: fork: \(errnoText())")
            exit(1)
        case 0:
            break
        default:
            _exit(0)
        }
        setsid()
        _ = skiff_set_subreaper()
        // Our own errors go to BUNDLE/monitor.log.
        let logFD = open(bundle + "/monitor.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        if logFD >= 0 {
            dup2(logFD, 1)
            dup2(logFD, 2)
            close(logFD)
        }
        let readyFD: Int32 = fcntl(3, F_GETFD) >= 0 ? 3 : -1
        if readyFD >= 0 { _ = fcntl(readyFD, F_SETFD, FD_CLOEXEC) }
        do {
            let bytes = try readFile(bundle + "/monitor.json")
            let config = try JSONDecoder().decode(MonitorConfig.self, from: Data(bytes))
            try Monitor(config: config, readyFD: readyFD).run()
            exit(0)
        } catch {
            let message = "error \(error)\n"
            complain(message)
            if readyFD >= 0 { _ = write(readyFD, message, message.utf8.count) }
            exit(1)
        }
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MonitorError(message: "open \(path): \(errnoText())") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    static func complain(_ message: String) {
        let line = message.hasSuffix("\n") ? message : message + "\n"
        _ = write(2, line, line.utf8.count)
    }
}

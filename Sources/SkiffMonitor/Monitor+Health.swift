import CSkiffSpawn
import Glibc
import SkiffRuntime

/// A healthcheck process in flight.
struct HealthRun {
    var pid: Int32
    var output: Int32
    var captured: [UInt8] = []
    var start: String
    var deadline: Int64
    var timedOut = false
}

extension Monitor {
    /// Docker keeps at most this much of a check's output.
    static let healthOutputLimit = 4096

    func startHealthCheck() {
        guard status.state == .running, healthRun == nil, let check = config.healthcheck, let command = check.command,
              var process = try? runtime.containerProcess(id: config.id) else { return }
        process.args = command
        process.terminal = false
        var fds: [Int32] = [0, 0]
        guard skiff_pipe_cloexec(&fds) == 0 else { return }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(fds[1])
            close(null)
        }
        do {
            let pid = try runtime.startExec(id: config.id, options: .init(
                process: process, stdio: Stdio(input: null, output: fds[1], error: fds[1])))
            _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
            let timeout = check.timeout > 0 ? check.timeout : 30_000_000_000
            healthRun = HealthRun(pid: pid, output: fds[0], start: Clock.timestamp(), deadline: Clock.monotonic() + timeout)
        } catch {
            close(fds[0])
            record(HealthResultInput(start: Clock.timestamp(), exitCode: -1, output: "\(error)"))
        }
    }

    func readHealthOutput() {
        guard var run = healthRun else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(run.output, &buffer, buffer.count)
        if n > 0, run.captured.count < Self.healthOutputLimit {
            run.captured.append(contentsOf: buffer[0..<min(n, Self.healthOutputLimit - run.captured.count)])
        }
        if n == 0 {
            close(run.output)
            run.output = -1
        }
        healthRun = run
    }

    func healthCheckExited(_ ws: Int32) {
        guard let run = healthRun else { return }
        healthRun = nil
        var captured = run.captured
        if run.output >= 0 {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while captured.count < Self.healthOutputLimit {
                let n = read(run.output, &buffer, buffer.count)
                guard n > 0 else { break }
                captured.append(contentsOf: buffer[0..<min(n, Self.healthOutputLimit - captured.count)])
            }
            close(run.output)
        }
        record(HealthResultInput(start: run.start, exitCode: run.timedOut ? -1 : ExitStatus.code(ws),
                                 output: run.timedOut ? "Health check exceeded timeout" : String(decoding: captured, as: UTF8.self)))
    }

    struct HealthResultInput {
        var start: String
        var exitCode: Int32
        var output: String
    }

    func record(_ result: HealthResultInput) {
        guard let check = config.healthcheck, status.state == .running else { return }
        var health = status.health ?? Health(status: "starting", failingStreak: 0, log: [])
        health.log.append(.init(start: result.start, end: Clock.timestamp(), exitCode: result.exitCode, output: result.output))
        if health.log.count > 5 { health.log.removeFirst(health.log.count - 5) }
        let inStartPeriod = Clock.monotonic() - startedMonotonic < check.startPeriod
        if result.exitCode == 0 {
            health.status = "healthy"
            health.failingStreak = 0
        } else if !inStartPeriod || health.status != "starting" {
            health.failingStreak += 1
            if health.failingStreak >= max(check.retries, 1) { health.status = "unhealthy" }
        }
        status.health = health
        saveStatus()
        healthAt = Clock.monotonic() + max(check.interval, 1_000_000)
    }
}

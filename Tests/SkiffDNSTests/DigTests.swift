import Glibc
import SkiffDNS
import Testing

/// The server against a real resolver client: dig (bind9-dnsutils), skipped where it is missing.
@Suite(.enabled(if: access("/usr/bin/dig", X_OK) == 0, "dig is not installed (bind9-dnsutils)"))
struct DigTests {
    /// Runs dig against `127.0.0.5:port`; its standard output.
    func dig(_ port: UInt16, _ arguments: [String]) throws -> String {
        let argv = ["dig", "@127.0.0.5", "-p", String(port), "+time=2", "+tries=1"] + arguments
        var fds: [Int32] = [-1, -1]
        try #require(pipe(&fds) == 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for arg in cArgs { free(arg) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/usr/bin/dig", &actions, nil, &cArgs, environ)
        close(fds[1])
        defer { close(fds[0]) }
        try #require(rc == 0, "posix_spawn dig: \(rc)")
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            guard n > 0 else { break }
            output += buffer[0..<n]
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(status == 0, "dig \(arguments) exited with \(status)")
        return String(decoding: output, as: UTF8.self)
    }

    func lines(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").map(String.init))
    }

    @Test func digResolvesLocalNamesOverUDPAndTCP() throws {
        let server = try tableServer(address: "127.0.0.5")
        defer { server.stop() }
        #expect(lines(try dig(server.port, ["web", "A", "+short"])) == ["172.18.0.2", "172.18.0.3"])
        #expect(lines(try dig(server.port, ["+tcp", "db", "A", "+short"])) == ["172.18.0.4"])
        #expect(lines(try dig(server.port, ["-x", "172.18.0.2", "+short"])) == ["web.net."])

        let full = try dig(server.port, ["web", "AAAA"])
        #expect(full.contains("status: NOERROR") && full.contains("ANSWER: 0,"))
        #expect(full.contains("flags: qr rd ra;"))
        #expect(!full.contains("WARNING"))
        let a = try dig(server.port, ["web", "A"])
        #expect(a.contains("web.\t\t\t600\tIN\tA\t172.18.0.2"))
    }

    @Test func digGetsForwardedAnswers() throws {
        let upstream = try FakeUpstream { upstreamAnswer(to: $0, addresses: [[10, 9, 8, 7]]) }
        defer { upstream.stop() }
        let server = try tableServer(address: "127.0.0.5", upstreams: [upstream.upstream])
        defer { server.stop() }
        #expect(lines(try dig(server.port, ["example.org", "+short"])) == ["10.9.8.7"])
    }
}

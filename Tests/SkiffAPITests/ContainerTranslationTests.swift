import SkiffEngine
import SkiffMonitor
import Testing

@testable import SkiffAPI

/// Docker's create request to engine configuration: the rules dockerd
/// applies, and its error wording.
@Suite struct ContainerTranslationTests {
    func request(_ host: HostConfig = HostConfig(), image: String? = "busybox") -> ContainerCreateRequest {
        var config = ContainerConfig()
        config.image = image
        return ContainerCreateRequest(config: config, hostConfig: host)
    }

    /// The error message `configuration` gives for `request`, nil if it accepts it.
    func message(_ request: ContainerCreateRequest) -> String? {
        do {
            _ = try ContainerTranslation.configuration(request)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func restartPolicies() throws {
        var host = HostConfig()
        host.restartPolicy = .init(name: "on-failure", maximumRetryCount: 3)
        let config = try ContainerTranslation.configuration(request(host))
        #expect(config.restartPolicy == SkiffMonitor.RestartPolicy(name: .onFailure, maximumRetryCount: 3))
        host.restartPolicy = .init(name: "always", maximumRetryCount: 2)
        #expect(message(request(host))?.contains("only be used with 'on-failure'") == true)
        host.restartPolicy = .init(name: "sometimes", maximumRetryCount: 0)
        #expect(message(request(host))?.contains("unknown policy 'sometimes'") == true)
    }

    @Test func securityOptions() throws {
        var host = HostConfig()
        host.securityOpt = ["seccomp=unconfined", "no-new-privileges"]
        var config = try ContainerTranslation.configuration(request(host))
        #expect(config.seccomp == .unconfined && config.noNewPrivileges)
        host.securityOpt = ["seccomp:{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", "no-new-privileges:false"]
        config = try ContainerTranslation.configuration(request(host))
        #expect(config.seccomp == .profile("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}") && !config.noNewPrivileges)
        host.securityOpt = ["bogus=1"]
        #expect(message(request(host)) == "invalid --security-opt 1: \"bogus=1\"")
    }

    @Test func resourcesAndTheirLimits() throws {
        var host = HostConfig()
        host.memory = 64 << 20
        host.nanoCpus = 500_000_000
        host.pidsLimit = -1
        let config = try ContainerTranslation.configuration(request(host))
        #expect(config.resources.memory == 64 << 20 && config.resources.nanoCPUs == 500_000_000 && config.resources.pidsLimit == nil)
        host.memory = 1 << 20
        #expect(message(request(host)) == "Minimum memory limit allowed is 6MB")
        host.memory = nil
        host.nanoCpus = 1_000_000
        #expect(message(request(host))?.hasPrefix("Range of CPUs is from 0.01") == true)
    }

    @Test func unsupportedFieldsAreRefusedNotIgnored() {
        var host = HostConfig()
        host.mounts = [Mount(target: "/x", source: "alpine", type: "image")]
        #expect(message(request(host))?.contains("not supported") == true)
        host = HostConfig()
        host.logConfig = .init(type: "syslog", config: nil)
        #expect(message(request(host))?.contains("no log driver named 'syslog'") == true)
        #expect(message(request(image: nil)) != nil)
    }

    @Test func statusColumn() {
        var state = SkiffEngine.ContainerState()
        #expect(ContainerTranslation.statusText(state, now: 100) == "Created")
        state.status = .running
        state.startedAt = "1970-01-01T00:00:40Z"
        #expect(ContainerTranslation.statusText(state, now: 100) == "Up About a minute")
        state.health = SkiffMonitor.Health(status: "healthy", failingStreak: 0, log: [])
        #expect(ContainerTranslation.statusText(state, now: 100) == "Up About a minute (healthy)")
        state.status = .exited
        state.exitCode = 3
        state.finishedAt = "1970-01-01T00:00:98Z"
        #expect(ContainerTranslation.statusText(state, now: 100) == "Exited (3) 2 seconds ago")
    }

    @Test(arguments: [
        (0, "Less than a second"), (1, "1 second"), (59, "59 seconds"), (60, "About a minute"), (3599, "59 minutes"),
        (3600, "About an hour"), (47 * 3600, "47 hours"), (3 * 86400, "3 days"), (20 * 86400, "2 weeks"),
        (90 * 86400, "3 months"), (800 * 86400, "2 years"),
    ] as [(Int64, String)])
    func humanDurations(seconds: Int64, text: String) {
        #expect(ContainerTranslation.humanDuration(seconds) == text)
    }

    @Test func detachKeys() throws {
        #expect(try DetachKeys(nil).sequence == [16, 17])
        #expect(try DetachKeys("ctrl-a,x").sequence == [1, UInt8(ascii: "x")])
        #expect(throws: APIError.self) { try DetachKeys("ctrl-long") }
    }
}

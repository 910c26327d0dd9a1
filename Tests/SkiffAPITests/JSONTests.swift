import Foundation
import Testing

@testable import SkiffAPI

@Suite struct JSONTests {
    /// What `docker run -d --name web -p 8080:80 -e A=1 busybox sleep 1` sends (docker CLI 28, trimmed).
    let dockerCreate = #"""
        {"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,
         "ExposedPorts":{"80/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["A=1"],
         "Cmd":["sleep","1"],"Image":"busybox","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,
         "Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},
         "NetworkMode":"bridge","PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},
         "RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,
         "ConsoleSize":[50,200],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],
         "ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"",
         "Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"",
         "UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"",
         "BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"CpuPeriod":0,"CpuQuota":0,
         "CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],
         "DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,
         "MemorySwappiness":null,"OomKillDisable":null,"PidsLimit":null,"Ulimits":[],"CpuCount":0,"CpuPercent":0,
         "IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},
         "NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,
         "DriverOpts":null,"MacAddress":"","NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"",
         "IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}
        """#

    @Test func dockerCLICreateRequestDecodes() async throws {
        let request = try await RequestBody(bytes: Array(dockerCreate.utf8)).decode(ContainerCreateRequest.self)
        #expect(request.config.image == "busybox")
        #expect(request.config.cmd == ["sleep", "1"])
        #expect(request.config.entrypoint == nil)
        #expect(request.config.exposedPorts?.keys.sorted() == ["80/tcp"])
        #expect(request.hostConfig?.portBindings?["80/tcp"]??.first?.hostPort == "8080")
        #expect(request.hostConfig?.restartPolicy?.name == "no")
        #expect(request.hostConfig?.memorySwappiness == nil)
        #expect(request.hostConfig?.consoleSize == [50, 200])
        #expect(request.networkingConfig?.endpointsConfig?["default"] != nil)
    }

    @Test func stringCommandsAreOneElementArrays() async throws {
        let request = try await RequestBody(bytes: Array(#"{"Image":"x","Cmd":"date","Entrypoint":"/bin/sh"}"#.utf8))
            .decode(ContainerCreateRequest.self)
        #expect(request.config.cmd == ["date"])
        #expect(request.config.entrypoint == ["/bin/sh"])
    }

    @Test func emptyBodyIsAnEmptyObject() async throws {
        let request = try await RequestBody(bytes: []).decode(ExecStartConfig.self)
        #expect(request == ExecStartConfig())
        await #expect(throws: APIError.badRequest("invalid JSON: the request body is empty")) {
            try await RequestBody(bytes: []).decode(ExecStartConfig.self, allowEmpty: false)
        }
    }

    @Test func malformedJSONNamesTheField() async throws {
        await #expect(throws: APIError.badRequest("invalid JSON at HostConfig.Memory: expected an integer")) {
            try await RequestBody(bytes: Array(#"{"HostConfig":{"Memory":"lots"}}"#.utf8)).decode(ContainerCreateRequest.self)
        }
        await #expect(throws: APIError.badRequest("invalid JSON at Env: expected an array")) {
            try await RequestBody(bytes: Array(#"{"Env":"A=1"}"#.utf8)).decode(ContainerCreateRequest.self)
        }
        do {
            _ = try await RequestBody(bytes: Array(#"{"Image": "#.utf8)).decode(ContainerCreateRequest.self)
            Issue.record("truncated JSON decoded")
        } catch let error as APIError {
            #expect(error.status == 400)
            #expect(error.message.hasPrefix("invalid JSON: "))
        }
    }

    @Test func bodyLargerThanTheLimitIs413() async {
        await #expect(throws: APIError(413, "request body is larger than 4 bytes")) {
            try await RequestBody(bytes: Array("12345".utf8)).collect(max: 4)
        }
    }

    func object(_ value: some Encodable) throws -> [String: Any] {
        let data = Data(try encodeJSON(value))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func inspectKeysAreThereAsGoWritesThem() throws {
        var config = ContainerConfig()
        config.cmd = ["sh"]
        let encoded = try object(config)
        #expect(encoded["Cmd"] as? [String] == ["sh"])
        #expect(encoded["Hostname"] as? String == "")
        #expect(encoded["Env"] is NSNull)
        #expect(encoded["Entrypoint"] is NSNull)
        #expect(encoded["Labels"] is NSNull)
        #expect(encoded["Healthcheck"] == nil)
        #expect(encoded["StopTimeout"] == nil)

        let host = try object(HostConfig())
        #expect(host["Binds"] is NSNull)
        #expect(host["Memory"] as? Int == 0)
        #expect(host["NetworkMode"] as? String == "")
        #expect((host["RestartPolicy"] as? [String: Any])?["Name"] as? String == "")
        #expect(host["ConsoleSize"] as? [Int] == [0, 0])
        #expect(host["Init"] == nil)

        let exec = try object(ExecInspectResponse(
            id: "e", running: true, exitCode: nil,
            processConfig: .init(tty: false, entrypoint: "sh", arguments: []), openStdin: false, openStderr: true,
            openStdout: true, containerID: "c", pid: 42))
        #expect(exec["ExitCode"] is NSNull)
        #expect((exec["ProcessConfig"] as? [String: Any])?["entrypoint"] as? String == "sh")
    }

    @Test func errorBody() {
        let response = APIResponse.error(.notFound("No such image: x"))
        #expect(response.status == 404)
        guard case .bytes(let bytes) = response.body else {
            Issue.record("no body")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "{\"message\":\"No such image: x\"}\n")
    }
}

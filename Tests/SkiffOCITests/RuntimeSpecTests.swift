import FoundationEssentials
import SkiffOCI
import Testing

@Suite struct RuntimeSpecDecodingTests {
    @Test func defaultSpecRoundTrips() throws {
        let spec = RuntimeSpec.makeDefault(args: ["sh", "-c", "true"])
        let data = try JSONEncoder().encode(spec)
        let back = try RuntimeSpec.decode(data)
        #expect(back == spec)
        #expect(back.process?.args == ["sh", "-c", "true"])
        #expect(back.linux?.namespaces?.map(\.type) == [.pid, .network, .ipc, .uts, .mount, .cgroup])
    }

    @Test func wrongTypeNamesTheField() {
        let json = #"{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"cwd":"/","args":"sh"}}"#
        #expect(throws: SpecError(field: "process.args", problem: "expected an array")) {
            try RuntimeSpec.decode(Data(json.utf8))
        }
    }

    @Test func missingRequiredFieldIsNamed() {
        let json = #"{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"]}}"#
        #expect(throws: SpecError(field: "process.cwd", problem: "required field is missing")) {
            try RuntimeSpec.decode(Data(json.utf8))
        }
    }

    @Test func nestedArrayIndexIsNamed() {
        let json = #"{"ociVersion":"1","mounts":[{"destination":"/a"},{"destination":5}]}"#
        #expect(throws: SpecError(field: "mounts[1].destination", problem: "expected a string")) {
            try RuntimeSpec.decode(Data(json.utf8))
        }
    }

    @Test func unknownNamespaceTypeIsNamed() throws {
        let json = #"{"ociVersion":"1","linux":{"namespaces":[{"type":"pid"},{"type":"bogus"}]}}"#
        let error = try #require(throws: SpecError.self) { try RuntimeSpec.decode(Data(json.utf8)) }
        #expect(error.field == "linux.namespaces[1].type")
    }

    @Test func garbageIsNotJSON() throws {
        let error = try #require(throws: SpecError.self) { try RuntimeSpec.decode(Data("{bad".utf8)) }
        #expect(error.field.isEmpty)
        #expect(error.description.hasPrefix("config.json: not valid JSON"))
    }

    @Test func unknownFieldsAreIgnored() throws {
        let json = #"{"ociVersion":"1.0.2","vm":{"hypervisor":{}},"root":{"path":"rootfs"}}"#
        let spec = try RuntimeSpec.decode(Data(json.utf8))
        #expect(spec.root?.path == "rootfs")
    }

    @Test func stateEncodesStatusAsString() throws {
        let state = RuntimeState(id: "a", status: .created, pid: 42, bundle: "/b")
        let text = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        #expect(text.contains(#""status":"created""#))
        #expect(text.contains(#""pid":42"#))
    }
}

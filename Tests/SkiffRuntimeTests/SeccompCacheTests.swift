import FoundationEssentials
import Glibc
import SkiffOCI
import SkiffSeccomp
import Testing

@testable import SkiffRuntime

/// Compiled filters reused across containers, never the wrong one.
@Suite struct SeccompCacheTests {
    let seccomp = RuntimeSpec.Seccomp(
        defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64"],
        syscalls: [.init(names: ["read", "write", "exit_group"], action: "SCMP_ACT_ALLOW")])

    func withRoot(_ body: (String) throws -> Void) rethrows {
        var template = Array("/tmp/skiff-seccomp-cache-XXXXXX".utf8CString)
        let root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        defer { _ = system("rm -rf '\(root)'") }
        try body(root)
    }

    @Test func secondUseComesFromTheCacheAndEqualsACompile() throws {
        try withRoot { root in
            let cache = SeccompCache(root: root)
            let first = try cache.program(for: seccomp)
            #expect(first == (try SeccompCompiler.compile(seccomp)))
            #expect(access(root + "/@seccomp", F_OK) == 0)
            #expect(try cache.program(for: seccomp) == first)
        }
    }

    @Test func aDifferentProfileIsNeverServedFromAnotherEntry() throws {
        try withRoot { root in
            let cache = SeccompCache(root: root)
            _ = try cache.program(for: seccomp)
            var other = seccomp
            other.syscalls?[0].names.append("close")
            // Plant other's key on seccomp's entry: the stored JSON no longer matches.
            let key = SeccompCache.hash(try sortedJSON(seccomp))
            try FileIO.writeAtomic(root + "/@seccomp/\(key).json", try sortedJSON(other))
            #expect(try cache.program(for: seccomp) == (try SeccompCompiler.compile(seccomp)))
            #expect(try cache.program(for: other) == (try SeccompCompiler.compile(other)))
        }
    }

    func sortedJSON(_ value: RuntimeSpec.Seccomp) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    @Test func encodingRoundTrips() {
        let program = SeccompProgram(bpf: Array(repeating: 7, count: 24), flags: 0x0102_0304, needsListener: true)
        #expect(SeccompCache.decode(SeccompCache.encode(program)) == program)
        #expect(SeccompCache.decode([1, 2, 3]) == nil)
    }
}

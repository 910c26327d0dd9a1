import FoundationEssentials
import Glibc
import SkiffOCI
import SkiffSeccomp

/// Compiled seccomp filters kept in the state root (`<root>/@seccomp`, a
/// name no container id can take): compiling Docker's profile with
/// libseccomp takes ~14 ms, and every container and exec of an engine uses
/// the same one. An entry is the filter (`<key>.bpf`) and the exact JSON it
/// was compiled from (`<key>.json`, compared byte for byte on use, so a hash
/// collision can only miss the cache, never give the wrong filter). Both are
/// written atomically, the filter first.
struct SeccompCache {
    let directory: String

    init(root: String) {
        directory = root + "/@seccomp"
    }

    func program(for seccomp: RuntimeSpec.Seccomp) throws(RuntimeError) -> SeccompProgram {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let key = try? Array(encoder.encode(seccomp)) else { return try Self.compile(seccomp) }
        let base = "\(directory)/\(Self.hash(key))"
        if let stored = try? FileIO.read(base + ".json"), stored == key,
           let blob = try? FileIO.read(base + ".bpf"), let program = Self.decode(blob) {
            return program
        }
        let program = try Self.compile(seccomp)
        if (try? FileIO.makeDirectories(directory, mode: 0o700)) != nil {
            try? FileIO.writeAtomic(base + ".bpf", Self.encode(program), mode: 0o600)
            try? FileIO.writeAtomic(base + ".json", key, mode: 0o600)
        }
        return program
    }

    static func compile(_ seccomp: RuntimeSpec.Seccomp) throws(RuntimeError) -> SeccompProgram {
        do {
            return try SeccompCompiler.compile(seccomp)
        } catch {
            throw RuntimeError(stage: "seccomp", "config.json: \(error)")
        }
    }

    /// [flags: UInt32 LE][needsListener: UInt8][3 zero bytes][bpf]
    static func encode(_ program: SeccompProgram) -> [UInt8] {
        let f = program.flags
        return [UInt8(f & 0xff), UInt8((f >> 8) & 0xff), UInt8((f >> 16) & 0xff), UInt8(f >> 24),
                program.needsListener ? 1 : 0, 0, 0, 0] + program.bpf
    }

    static func decode(_ blob: [UInt8]) -> SeccompProgram? {
        guard blob.count >= 16, (blob.count - 8) % 8 == 0 else { return nil }
        let flags = UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24
        return SeccompProgram(bpf: Array(blob[8...]), flags: flags, needsListener: blob[4] == 1)
    }

    /// FNV-1a, 64 bits, as hex.
    static func hash(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

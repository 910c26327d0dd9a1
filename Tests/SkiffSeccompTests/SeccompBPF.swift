import SkiffSeccomp

/// The input a seccomp filter sees (`struct seccomp_data`).
struct SeccompData {
    var nr: Int32
    var arch: UInt32
    var instructionPointer: UInt64 = 0
    var args: [UInt64] = Array(repeating: 0, count: 6)

    init(_ nr: Int32, arch: UInt32, args: [UInt64] = []) {
        self.nr = nr
        self.arch = arch
        for (i, value) in args.enumerated() { self.args[i] = value }
    }

    /// The 32-bit word at byte `offset`, little-endian as on the hosts skiff runs on.
    func word(at offset: UInt32) throws -> UInt32 {
        switch offset {
        case 0: return UInt32(bitPattern: nr)
        case 4: return arch
        case 8: return UInt32(truncatingIfNeeded: instructionPointer)
        case 12: return UInt32(truncatingIfNeeded: instructionPointer >> 32)
        case 16..<64 where offset % 4 == 0:
            let arg = args[Int(offset - 16) / 8]
            return offset % 8 == 0 ? UInt32(truncatingIfNeeded: arg) : UInt32(truncatingIfNeeded: arg >> 32)
        default: throw BPFError.badLoad(offset)
        }
    }
}

enum BPFError: Error { case badOpcode(UInt16, at: Int), badLoad(UInt32), fellOff, tooLong }

/// A classic-BPF interpreter for the subset seccomp allows, to check what a compiled filter
/// returns without loading it into a kernel.
func evaluate(_ program: SeccompProgram, _ data: SeccompData) throws -> UInt32 {
    let bytes = program.bpf
    var pc = 0
    var a: UInt32 = 0
    var x: UInt32 = 0
    var memory = [UInt32](repeating: 0, count: 16)
    var steps = 0
    while pc < bytes.count / 8 {
        steps += 1
        if steps > 100_000 { throw BPFError.tooLong }
        let base = pc * 8
        let code = UInt16(bytes[base]) | UInt16(bytes[base + 1]) << 8
        let jt = Int(bytes[base + 2])
        let jf = Int(bytes[base + 3])
        let k = UInt32(bytes[base + 4]) | UInt32(bytes[base + 5]) << 8 | UInt32(bytes[base + 6]) << 16 | UInt32(bytes[base + 7]) << 24
        pc += 1
        switch code {
        case 0x20: a = try data.word(at: k)  // ld [k]
        case 0x00: a = k  // ld #k
        case 0x01: x = k  // ldx #k
        case 0x60: a = memory[Int(k)]  // ld M[k]
        case 0x61: x = memory[Int(k)]  // ldx M[k]
        case 0x02: memory[Int(k)] = a  // st M[k]
        case 0x03: memory[Int(k)] = x  // stx M[k]
        case 0x07: x = a  // tax
        case 0x87: a = x  // txa
        case 0x04: a &+= k  // add #k
        case 0x14: a &-= k  // sub #k
        case 0x44: a |= k  // or #k
        case 0x54: a &= k  // and #k
        case 0x5c: a &= x  // and x
        case 0x05: pc += Int(k)  // ja
        case 0x15: pc += a == k ? jt : jf  // jeq #k
        case 0x25: pc += a > k ? jt : jf  // jgt #k
        case 0x35: pc += a >= k ? jt : jf  // jge #k
        case 0x45: pc += a & k != 0 ? jt : jf  // jset #k
        case 0x1d: pc += a == x ? jt : jf  // jeq x
        case 0x2d: pc += a > x ? jt : jf  // jgt x
        case 0x3d: pc += a >= x ? jt : jf  // jge x
        case 0x4d: pc += a & x != 0 ? jt : jf  // jset x
        case 0x06: return k  // ret #k
        case 0x16: return a  // ret a
        default: throw BPFError.badOpcode(code, at: pc - 1)
        }
    }
    throw BPFError.fellOff
}

/// Seccomp return values (`SECCOMP_RET_*`), to compare with `evaluate`.
enum Ret {
    static let killThread: UInt32 = 0
    static let killProcess: UInt32 = 0x8000_0000
    static let trap: UInt32 = 0x0003_0000
    static func errno(_ code: UInt32) -> UInt32 { 0x0005_0000 | code }
    static func trace(_ code: UInt32) -> UInt32 { 0x7ff0_0000 | code }
    static let notify: UInt32 = 0x7fc0_0000
    static let log: UInt32 = 0x7ffc_0000
    static let allow: UInt32 = 0x7fff_0000
}

/// Architectures and syscall numbers as libseccomp knows them.
enum Arch {
    static let x86_64 = SeccompArchitecture(ociName: "SCMP_ARCH_X86_64")!
    static let x86 = SeccompArchitecture(ociName: "SCMP_ARCH_X86")!
    static let aarch64 = SeccompArchitecture(ociName: "SCMP_ARCH_AARCH64")!
    static let arm = SeccompArchitecture(ociName: "SCMP_ARCH_ARM")!
}

extension SeccompProgram {
    /// What the filter returns for `syscall` with `args` on `arch`.
    func verdict(_ syscall: String, _ args: [UInt64] = [], arch: SeccompArchitecture = Arch.x86_64) throws -> UInt32 {
        guard let nr = arch.syscallNumber(syscall) else { throw NoSuchSyscall(name: syscall, arch: arch.name) }
        return try evaluate(self, SeccompData(nr, arch: arch.token, args: args))
    }
}

struct NoSuchSyscall: Error { var name: String; var arch: String }

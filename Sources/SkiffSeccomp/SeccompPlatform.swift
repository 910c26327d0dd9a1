import Glibc

/// What a Docker seccomp profile is resolved against: the native architecture and the kernel.
public struct SeccompPlatform: Sendable, Equatable {
    /// OCI name of the native architecture (`SCMP_ARCH_X86_64`), nil if this machine has none.
    public var architecture: String?
    /// The native architecture as Docker profiles name it in `includes.arches` and
    /// `excludes.arches` (Go's names: `amd64`, `arm64`, `x86`, …).
    public var dockerArchitecture: String
    public var kernel: KernelVersion

    public init(architecture: String?, dockerArchitecture: String, kernel: KernelVersion) {
        self.architecture = architecture
        self.dockerArchitecture = dockerArchitecture
        self.kernel = kernel
    }

    /// From `uname -m` (`x86_64`, `aarch64`, …); an unknown machine keeps its name and has no
    /// OCI architecture, so a profile's archMap adds nothing for it.
    public init(machine: String, kernel: KernelVersion) {
        let known: (String, String)? =
            switch machine {
            case "x86_64", "amd64": ("SCMP_ARCH_X86_64", "amd64")
            case "i386", "i486", "i586", "i686": ("SCMP_ARCH_X86", "x86")
            case "aarch64", "arm64": ("SCMP_ARCH_AARCH64", "arm64")
            case _ where machine.hasPrefix("arm"): ("SCMP_ARCH_ARM", "arm")
            case "ppc64le": ("SCMP_ARCH_PPC64LE", "ppc64le")
            case "ppc64": ("SCMP_ARCH_PPC64", "ppc64")
            case "s390x": ("SCMP_ARCH_S390X", "s390x")
            case "s390": ("SCMP_ARCH_S390", "s390")
            case "riscv64": ("SCMP_ARCH_RISCV64", "riscv64")
            case "loongarch64": ("SCMP_ARCH_LOONGARCH64", "loong64")
            case "mips64": ("SCMP_ARCH_MIPS64", "mips64")
            default: nil
            }
        self.init(architecture: known?.0, dockerArchitecture: known?.1 ?? machine, kernel: kernel)
    }

    /// This machine, from uname(2).
    public static func current() throws(SeccompError) -> SeccompPlatform {
        var names = utsname()
        guard uname(&names) == 0 else {
            throw SeccompError(field: "uname", problem: errnoText(errno))
        }
        let machine = withUnsafeBytes(of: &names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let kernel = KernelVersion(release) else {
            throw SeccompError(field: "uname", problem: "kernel release \"\(release)\" does not start with a version")
        }
        return SeccompPlatform(machine: machine, kernel: kernel)
    }
}

/// A kernel version as `major.minor[.patch]`, compared numerically.
public struct KernelVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses the leading `X.Y` or `X.Y.Z` of a release (`6.1.0-18-amd64`, `4.8`); nil without one.
    public init?(_ release: String) {
        var parts: [Int] = []
        var digits = ""
        for character in release {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else {
                guard let value = Int(digits) else { break }
                parts.append(value)
                digits = ""
                if character != "." || parts.count == 3 { break }
            }
        }
        if let value = Int(digits), parts.count < 3 { parts.append(value) }
        guard parts.count >= 2 else { return nil }
        self.init(parts[0], parts[1], parts.count > 2 ? parts[2] : 0)
    }

    public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}

import CSeccomp
import Glibc

/// A seccomp architecture: its OCI name and libseccomp's token (the kernel's AUDIT_ARCH_* value).
public struct SeccompArchitecture: Sendable, Hashable, CustomStringConvertible {
    /// OCI name, e.g. `SCMP_ARCH_X86_64`.
    public var name: String
    /// AUDIT_ARCH_* value, as in `seccomp_data.arch`.
    public var token: UInt32

    /// Every name the OCI runtime-spec (defs-linux.json `SeccompArch`) allows.
    public static let ociNames: [String] = [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
        "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
        "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
        "SCMP_ARCH_SH", "SCMP_ARCH_SHEB", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
    ]

    /// Resolves an OCI name (`SCMP_ARCH_AARCH64`) through libseccomp; nil if the name is not
    /// `SCMP_ARCH_` followed by an architecture this libseccomp knows.
    public init?(ociName: String) {
        let prefix = "SCMP_ARCH_"
        guard ociName.hasPrefix(prefix), ociName.count > prefix.count else { return nil }
        let token = seccomp_arch_resolve_name(String(ociName.dropFirst(prefix.count)).lowercased())
        guard token != 0 else { return nil }
        self.name = ociName
        self.token = token
    }

    /// The architecture libseccomp was built for (the one `seccomp_init` always includes).
    public static var native: SeccompArchitecture {
        let token = seccomp_arch_native()
        let name = ociNames.first { SeccompArchitecture(ociName: $0)?.token == token } ?? "SCMP_ARCH_NATIVE"
        return SeccompArchitecture(name: name, token: token)
    }

    private init(name: String, token: UInt32) {
        self.name = name
        self.token = token
    }

    /// The syscall's number on this architecture, or nil if it has none here.
    public func syscallNumber(_ syscall: String) -> Int32? {
        let number = seccomp_syscall_resolve_name_arch(token, syscall)
        return number < 0 ? nil : number
    }

    public var description: String { name }

    /// Resolves `name` for the config field `field`, telling an unknown name from one this
    /// libseccomp was built without.
    static func resolve(_ name: String, field: String) throws(SeccompError) -> SeccompArchitecture {
        if let arch = SeccompArchitecture(ociName: name) { return arch }
        if ociNames.contains(name) {
            throw SeccompError(
                field: field,
                problem: "architecture \"\(name)\" is not supported by libseccomp \(SeccompCompiler.libseccompVersion)")
        }
        throw SeccompError(field: field, problem: "unknown architecture \"\(name)\"")
    }
}

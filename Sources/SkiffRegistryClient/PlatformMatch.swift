import SkiffOCI

/// The manifest of an image index (or Docker manifest list) for one platform, as
/// containerd's default matcher picks it: same os and architecture; a wanted variant
/// must match (arm64's `v8` matches none given); attestation manifests never match.
public enum PlatformMatch {
    public static func select(_ manifests: [Descriptor], for wanted: Platform) -> Descriptor? {
        let candidates = manifests.filter { desc in
            guard let p = desc.platform else { return false }
            if desc.annotations?["vnd.docker.reference.type"] == "attestation-manifest" { return false }
            return p.os == wanted.os && normalizeArch(p.architecture) == normalizeArch(wanted.architecture)
        }
        let wantedVariant = normalizeVariant(wanted.variant, architecture: wanted.architecture)
        if let wantedVariant {
            return candidates.first { normalizeVariant($0.platform?.variant, architecture: wanted.architecture) == wantedVariant }
                ?? candidates.first { $0.platform?.variant == nil }
        }
        return candidates.first
    }

    /// "os/arch[/variant]" (the `--platform` flag); empty → nil.
    public static func parse(_ text: String) -> Platform? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts.count <= 3, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        return Platform(architecture: normalizeArch(parts[1]), os: parts[0].lowercased(), variant: parts.count == 3 ? parts[2] : nil)
    }

    static func normalizeArch(_ arch: String) -> String {
        switch arch.lowercased() {
        case "x86_64", "x86-64": "amd64"
        case "aarch64": "arm64"
        default: arch.lowercased()
        }
    }

    static func normalizeVariant(_ variant: String?, architecture: String) -> String? {
        guard let variant, !variant.isEmpty else { return normalizeArch(architecture) == "arm64" ? "v8" : nil }
        return variant
    }
}

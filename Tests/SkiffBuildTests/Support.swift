@testable import SkiffBuild

/// The logical instructions of `text` in BuildKit's AST dump notation:
/// `(keyword ["--flag"] "argument" ...)`, ONBUILD's nested instruction in parentheses.
func dump(_ text: String) throws -> [String] {
    try DockerfileSyntax(parsing: Array(text.utf8)).instructions.map(dump)
}

func dump(_ raw: RawInstruction) -> String {
    var out = "(" + raw.keyword.lowercased()
    if !raw.flags.isEmpty { out += " [" + raw.flags.map(GoText.quote).joined(separator: " ") + "]" }
    if raw.keyword.lowercased() == "onbuild" {
        if let nested = raw.arguments.first {
            out += " (" + nested.lowercased() + raw.arguments.dropFirst().map { " " + GoText.quote($0) }.joined() + ")"
        }
    } else {
        out += raw.arguments.map { " " + GoText.quote($0) }.joined()
    }
    return out + ")"
}

/// The error parsing `text` gives, as shown to the user; nil when it parses.
func parseError(_ text: String) -> String? {
    do {
        _ = try Dockerfile(parsing: text)
        return nil
    } catch {
        return error.description
    }
}

/// The first instruction of the first stage of `FROM scratch` + `body`.
func instruction(_ body: String) throws -> Instruction {
    let dockerfile = try Dockerfile(parsing: "FROM scratch\n" + body)
    return try #require(dockerfile.stages.first?.instructions.first)
}

import Testing

/// SplitMix64: reproducible pseudo-random numbers for the fuzz tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

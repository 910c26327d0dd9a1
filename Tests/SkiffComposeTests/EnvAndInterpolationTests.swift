import Foundation
import Testing
@testable import SkiffCompose

@Suite struct DotenvTests {
    func parse(_ text: String, env: [String: String] = [:]) throws -> [String: String] {
        Dictionary(try Dotenv.parse(text, file: ".env", env: env), uniquingKeysWith: { $1 })
    }

    @Test func syntax() throws {
        let v = try parse("""
        # a comment
        A=1

        export B=two
        C = spaced value   # trailing comment
        D='single $A \\n # not a comment'
        E="double\\tquoted\\n$A ${B}"
        F="multi
        line"
        G=${A}-${MISSING:-dflt}
        H: colon
        I=a#b
        J=
        K
        L="quoted" # comment
        """, env: ["K": "from-env"])
        #expect(v["A"] == "1")
        #expect(v["B"] == "two")
        #expect(v["C"] == "spaced value")
        #expect(v["D"] == "single $A \\n # not a comment")
        #expect(v["E"] == "double\tquoted\n1 two")
        #expect(v["F"] == "multi\nline")
        #expect(v["G"] == "1-dflt")
        #expect(v["H"] == "colon")
        #expect(v["I"] == "a#b")
        #expect(v["J"] == "")
        #expect(v["K"] == "from-env")
        #expect(v["L"] == "quoted")
    }

    @Test func processEnvironmentWinsInExpansion() throws {
        let v = try parse("A=file\nB=$A\n", env: ["A": "proc"])
        #expect(v["B"] == "proc")
    }

    @Test func unterminatedQuoteIsAnError() {
        #expect(throws: ComposeError.self) { try parse("A=\"open\n") }
    }

    @Test func envFileFeedsInterpolationAndProcessWins() throws {
        let t = TempProject()
        t.write("compose.yaml", "services:\n  web:\n    image: \"${IMG}:${TAG}\"\n")
        t.write(".env", "IMG=nginx\nTAG=1.0\nCOMPOSE_PROJECT_NAME=FromDotEnv\n")
        let p = try t.load(env: ["TAG": "2.0"])
        #expect(p.model.at("services.web.image") == .string("nginx:2.0"))
        #expect(p.name == "fromdotenv")
        #expect(p.environment["IMG"] == "nginx")
        t.write("other.env", "IMG=alpine\n")
        let q = try t.load { $0.envFiles = ["other.env"] }
        #expect(q.model.at("services.web.image") == .string("alpine:1.0") || q.model.at("services.web.image") == .string("alpine:"))
        #expect(t.error { $0.envFiles = ["nope.env"] }?.contains("nope.env") == true)
    }
}

@Suite struct InterpolationTests {
    func sub(_ s: String, _ env: [String: String]) throws -> String {
        var i = Interpolator { env[$0] }
        return try i.substitute(s)
    }

    @Test func forms() throws {
        let env = ["A": "a", "E": ""]
        #expect(try sub("$A ${A} x$A-y", env) == "a a xa-y")
        #expect(try sub("${A:-d} ${U:-d} ${E:-d} ${E-d} ${U-d}", env) == "a d d  d")
        #expect(try sub("${A:+alt}|${E:+alt}|${E+alt}|${U+alt}", env) == "alt||alt|")
        #expect(try sub("$$A $${A} $", env) == "$A ${A} $")
        #expect(try sub("${U:-${V:-deep}} ${U:-${A}}", env) == "deep a")
        #expect(try sub("${A:?boom} $1 a$", env) == "a $1 a$")
        #expect(try sub("${U:-a}b}", env) == "ab}")
        #expect(try sub("${U:-{x}}", env) == "{x}")
    }

    @Test func errors() {
        #expect(throws: Interpolator.Failure.required(name: "U", message: "need it")) { try sub("${U:?need it}", [:]) }
        #expect(throws: Interpolator.Failure.required(name: "E", message: "")) { try sub("${E:?}", ["E": ""]) }
        #expect(throws: Interpolator.Failure.required(name: "U", message: "x")) { try sub("${U?x}", [:]) }
        #expect((try? sub("${E?x}", ["E": ""])) == "")
        for bad in ["${", "${}", "${1A}", "${A:}", "${A!x}", "${A"] {
            #expect(throws: Interpolator.Failure.invalid) { try sub(bad, ["A": "a"]) }
        }
    }

    @Test func unsetWarnsAndLazyDefaults() throws {
        var i = Interpolator { _ in nil }
        _ = try i.substitute("$X ${Y:-ok} ${Z:-${W}} ${Q:+${R}}")
        #expect(i.unset == ["X", "W"])
    }

    @Test func inFilesWithPaths() throws {
        let t = TempProject()
        t.write("compose.yaml", "services:\n  web:\n    image: \"${\"\n")
        #expect(t.error() == "invalid interpolation format for services.web.image: \"${\". You may need to escape any $ characters by using \"$$\" instead.")
        t.write("compose.yaml", "services:\n  web:\n    image: ${IMG:?set IMG please}\n")
        #expect(t.error() == "error while interpolating services.web.image: required variable IMG is missing a value: set IMG please")
        t.write("compose.yaml", "services:\n  web:\n    image: ${IMG?}\n")
        #expect(t.error() == "error while interpolating services.web.image: required variable IMG is missing a value")
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    ports: [\"${P:?}\"]\n")
        #expect(t.error() == "error while interpolating services.web.ports[0]: required variable P is missing a value")
        t.write("compose.yaml", "services:\n  web:\n    image: a$UNSET\n    environment:\n      ${KEY}: $$literal\n")
        let p = try t.load()
        #expect(p.model.at("services.web.image") == .string("a"))
        #expect(p.warnings == ["The \"UNSET\" variable is not set. Defaulting to a blank string."])
        // Keys are not interpolated.
        #expect(p.model.at("services.web.environment")?["${KEY}"] == .string("$literal"))
    }

    @Test func castsInterpolatedScalars() throws {
        let t = TempProject()
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    privileged: ${P}\n    cpu_shares: ${S}\n    scale: ${N:-1}\n")
        let p = try t.load(env: ["P": "true", "S": "512"])
        #expect(p.model.at("services.web.privileged") == .bool(true))
        #expect(p.model.at("services.web.cpu_shares") == .int(512))
        #expect(p.model.at("services.web.scale") == .int(1))
    }
}

@Suite struct DotenvEdgeTests {
    func parse(_ text: String) throws -> [String: String] {
        Dictionary(try Dotenv.parse(text, file: ".env", env: [:]), uniquingKeysWith: { $1 })
    }

    @Test func escapesAndKeys() throws {
        let v = try parse("A='it\\'s'\nB=\"q\\\"x\\$y\"\nC=tab\t#not stripped\nD.E-F[0]=ok\n")
        #expect(v["A"] == "it's")
        #expect(v["B"] == "q\"x$y")
        #expect(v["C"] == "tab\t#not stripped")
        #expect(v["D.E-F[0]"] == "ok")
        #expect(throws: ComposeError.self) { try parse("A B=1\n") }
        #expect(throws: ComposeError.self) { try parse("A$=1\n") }
        #expect(throws: ComposeError.self) { try parse("=1\n") }
    }
}

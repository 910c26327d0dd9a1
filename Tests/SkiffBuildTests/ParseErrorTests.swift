import Testing

@testable import SkiffBuild

// Dockerfiles BuildKit refuses, with its message and the line at fault.

struct ErrorCase: CustomTestStringConvertible, Sendable {
    let dockerfile: String
    let expected: String
    var testDescription: String { dockerfile.debugDescription }

    init(_ dockerfile: String, _ expected: String) {
        self.dockerfile = dockerfile
        self.expected = expected
    }
}

let errorCases: [ErrorCase] = [
    // The file.
    ErrorCase("", "file with no instructions"),
    ErrorCase("# just a comment\n\n", "file with no instructions"),
    ErrorCase("ARG A=1", "dockerfile contains no stages to build"),
    ErrorCase("RUN true", "dockerfile parse error on line 1: no build stage in current context"),
    ErrorCase("ARG A\nENV B=1\nFROM a", "dockerfile parse error on line 2: no build stage in current context"),
    // Directives.
    ErrorCase("# escape=x\nFROM a", "dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\"),
    ErrorCase("# escape=`\n# ESCAPE=\\\nFROM a", "dockerfile parse error on line 2: only one escape parser directive can be used"),
    ErrorCase("# syntax=a\n# syntax=b\nFROM a", "dockerfile parse error on line 2: only one syntax parser directive can be used"),
    // Unknown instructions, with BuildKit's suggestion.
    ErrorCase("FROM a\nRUNN x", "dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)"),
    ErrorCase("FROM a\ncopyy x y", "dockerfile parse error on line 2: unknown instruction: copyy (did you mean copy?)"),
    ErrorCase("FROM a\nFOOBAR x", "dockerfile parse error on line 2: unknown instruction: FOOBAR"),
    ErrorCase("FROM a\n\nRUN a \\\n  b\nWORKDIRR /x", "dockerfile parse error on line 5: unknown instruction: WORKDIRR (did you mean WORKDIR?)"),
    // FROM.
    ErrorCase("FROM", "dockerfile parse error on line 1: FROM requires either one or three arguments"),
    ErrorCase("FROM a b", "dockerfile parse error on line 1: FROM requires either one or three arguments"),
    ErrorCase("FROM a AS", "dockerfile parse error on line 1: FROM requires either one or three arguments"),
    ErrorCase("FROM a AS 1st", #"dockerfile parse error on line 1: invalid name for build stage: "1st", name can't start with a number or contain symbols"#),
    ErrorCase("FROM a AS b/c", #"dockerfile parse error on line 1: invalid name for build stage: "b/c", name can't start with a number or contain symbols"#),
    ErrorCase("FROM --platform a", "dockerfile parse error on line 1: missing a value on flag: platform"),
    ErrorCase("FROM --plaform=x a", "dockerfile parse error on line 1: unknown flag: plaform (did you mean platform?)"),
    // Argument counts.
    ErrorCase("FROM a\nENV", "dockerfile parse error on line 2: ENV requires at least one argument"),
    ErrorCase("FROM a\nENV A", "dockerfile parse error on line 2: ENV must have two arguments"),
    ErrorCase("FROM a\nENV A=1 B", #"dockerfile parse error on line 2: Syntax error - can't find = in "B". Must be of the form: name=value"#),
    ErrorCase("FROM a\nENV =1", "dockerfile parse error on line 2: ENV names can not be blank"),
    ErrorCase("FROM a\nLABEL", "dockerfile parse error on line 2: LABEL requires at least one argument"),
    ErrorCase("FROM a\nLABEL a", "dockerfile parse error on line 2: LABEL must have two arguments"),
    ErrorCase("FROM a\nLABEL =x", "dockerfile parse error on line 2: LABEL names can not be blank"),
    ErrorCase("FROM a\nARG", "dockerfile parse error on line 2: ARG requires at least one argument"),
    ErrorCase("FROM a\nARG =x", "dockerfile parse error on line 2: ARG names can not be blank"),
    ErrorCase("FROM a\nMAINTAINER", "dockerfile parse error on line 2: MAINTAINER requires exactly one argument"),
    ErrorCase("FROM a\nMAINTAINER --boo joe", "dockerfile parse error on line 2: unknown flag: boo"),
    ErrorCase("FROM a\nWORKDIR", "dockerfile parse error on line 2: WORKDIR requires exactly one argument"),
    ErrorCase("FROM a\nUSER", "dockerfile parse error on line 2: USER requires exactly one argument"),
    ErrorCase("FROM a\nSTOPSIGNAL", "dockerfile parse error on line 2: STOPSIGNAL requires exactly one argument"),
    ErrorCase("FROM a\nEXPOSE", "dockerfile parse error on line 2: EXPOSE requires at least one argument"),
    ErrorCase("FROM a\nVOLUME", "dockerfile parse error on line 2: VOLUME requires at least one argument"),
    ErrorCase("FROM a\nVOLUME [\"/a\", \" \"]", "dockerfile parse error on line 2: VOLUME specified can not be an empty string"),
    ErrorCase("FROM a\nONBUILD", "dockerfile parse error on line 2: ONBUILD requires at least one argument"),
    ErrorCase("FROM a\nSHELL", "dockerfile parse error on line 2: SHELL requires at least one argument"),
    ErrorCase("FROM a\nSHELL []", "dockerfile parse error on line 2: SHELL requires at least one argument"),
    ErrorCase("FROM a\nSHELL /bin/bash -c", "dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form"),
    ErrorCase("FROM a\nCOPY x", "dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined"),
    ErrorCase("FROM a\nADD x", "dockerfile parse error on line 2: ADD requires at least two arguments, but only one was provided. Destination could not be determined"),
    ErrorCase("FROM a\nCOPY\t\n   x \\\n  ", "dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined"),
    // JSON whose elements are not strings.
    ErrorCase("FROM a\nCMD [1, \"a\"]", "dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only"),
    ErrorCase("FROM a\nRUN [\"a\", [\"b\"]]", "dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only"),
    ErrorCase("FROM a\nCOPY [null, \"/x\"]", "dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only"),
    // Flags.
    ErrorCase("FROM a\nCOPY --chwon=1 a b", "dockerfile parse error on line 2: unknown flag: chwon (did you mean chown?)"),
    ErrorCase("FROM a\nCOPY --from=a --from=b x y", "dockerfile parse error on line 2: duplicate flag specified: from"),
    ErrorCase("FROM a\nCOPY --link=maybe a b", "dockerfile parse error on line 2: expecting boolean value for flag link, not: maybe"),
    ErrorCase("FROM a\nCOPY --link= a b", "dockerfile parse error on line 2: missing a value on flag: link"),
    ErrorCase("FROM a\nCOPY --from a b", "dockerfile parse error on line 2: missing a value on flag: from"),
    ErrorCase("FROM a\nCOPY --exclude a b", "dockerfile parse error on line 2: missing a value on flag: exclude"),
    ErrorCase("FROM a\nADD --from=x a b", "dockerfile parse error on line 2: unknown flag: from"),
    ErrorCase("FROM a\nCOPY --checksum=x a b", "dockerfile parse error on line 2: unknown flag: checksum"),
    ErrorCase("FROM a\nRUN --network=bridge x", #"dockerfile parse error on line 2: invalid network mode "bridge""#),
    ErrorCase("FROM a\nRUN --network= x", #"dockerfile parse error on line 2: invalid network mode """#),
    ErrorCase("FROM a\nRUN --security=privileged x", #"dockerfile parse error on line 2: security "privileged" is not valid"#),
    ErrorCase("FROM a\nRUN --mont=type=cache x", "dockerfile parse error on line 2: unknown flag: mont (did you mean mount?)"),
    ErrorCase("FROM a\nRUN --mount=type=bind,from=$STAGE x", "dockerfile parse error on line 2: 'from' doesn't support variable expansion, define alias stage instead"),
    ErrorCase("FROM a\nRUN --mount=type=bind,source=a\\\"b x", #"dockerfile parse error on line 2: failed to parse csv mounts: parse error on line 1, column 19: bare " in non-quoted-field"#),
    ErrorCase("FROM a\nRUN --mount=\"\" x", "dockerfile parse error on line 2: failed to parse csv mounts: EOF"),
    ErrorCase("FROM a\nRUN --device=a,b x", "dockerfile parse error on line 2: invalid field 'b' must be a key=value pair"),
    // HEALTHCHECK.
    ErrorCase("FROM a\nHEALTHCHECK", "dockerfile parse error on line 2: HEALTHCHECK requires at least one argument"),
    ErrorCase("FROM a\nHEALTHCHECK NONE x", "dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments"),
    ErrorCase("FROM a\nHEALTHCHECK CMD", "dockerfile parse error on line 2: Missing command after HEALTHCHECK CMD"),
    ErrorCase("FROM a\nHEALTHCHECK CMD []", "dockerfile parse error on line 2: Missing command after HEALTHCHECK CMD"),
    ErrorCase("FROM a\nHEALTHCHECK connect tcp 80", #"dockerfile parse error on line 2: Unknown type "CONNECT" in HEALTHCHECK (try CMD)"#),
    ErrorCase("FROM a\nHEALTHCHECK --interval=1ns CMD x", #"dockerfile parse error on line 2: Interval "interval" cannot be less than 1ms"#),
    ErrorCase("FROM a\nHEALTHCHECK --timeout=-5s CMD x", #"dockerfile parse error on line 2: Interval "timeout" cannot be less than 1ms"#),
    ErrorCase("FROM a\nHEALTHCHECK --timeout=5 CMD x", #"dockerfile parse error on line 2: time: missing unit in duration "5""#),
    ErrorCase("FROM a\nHEALTHCHECK --start-period=5x CMD x", #"dockerfile parse error on line 2: time: unknown unit "x" in duration "5x""#),
    ErrorCase("FROM a\nHEALTHCHECK --interval=.s CMD x", #"dockerfile parse error on line 2: time: invalid duration ".s""#),
    ErrorCase("FROM a\nHEALTHCHECK --interval=99999999999h CMD x", #"dockerfile parse error on line 2: time: invalid duration "99999999999h""#),
    ErrorCase("FROM a\nHEALTHCHECK --retries=-1 CMD x", "dockerfile parse error on line 2: --retries cannot be negative (-1)"),
    ErrorCase("FROM a\nHEALTHCHECK --retries=x CMD x", #"dockerfile parse error on line 2: strconv.ParseInt: parsing "x": invalid syntax"#),
    ErrorCase("FROM a\nHEALTHCHECK --retries=3000000000 CMD x", #"dockerfile parse error on line 2: strconv.ParseInt: parsing "3000000000": value out of range"#),
    ErrorCase("FROM a\nHEALTHCHECK --retires=3 CMD x", "dockerfile parse error on line 2: unknown flag: retires (did you mean retries?)"),
    ErrorCase("FROM a\nHEALTHCHECK --retry=3 CMD x", "dockerfile parse error on line 2: unknown flag: retry"),
    // ONBUILD.
    ErrorCase("FROM a\nONBUILD ONBUILD RUN x", "dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
    ErrorCase("FROM a\nONBUILD from x", "dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger"),
    ErrorCase("FROM a\nONBUILD MAINTAINER x", "dockerfile parse error on line 2: MAINTAINER isn't allowed as an ONBUILD trigger"),
    ErrorCase("FROM a\nONBUILD --x RUN y", "dockerfile parse error on line 2: unknown flag: x"),
    ErrorCase("FROM a\nONBUILD RUN [1]", "dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only"),
    // Heredocs.
    ErrorCase("FROM a\nRUN <<EOF\necho", "dockerfile parse error on line 2: unterminated heredoc"),
    ErrorCase("FROM a\nCOPY <<A <<B /x\na\nA\nb\n", "dockerfile parse error on line 2: unterminated heredoc"),
    ErrorCase("FROM a\nCOPY /foo <<EOF\nEOF", "dockerfile parse error on line 2: COPY cannot accept a heredoc as a destination"),
    ErrorCase("FROM a\nADD <<EOF <<EOF2\nEOF\nEOF2", "dockerfile parse error on line 2: ADD cannot accept a heredoc as a destination"),
    // Line-level errors come before instruction errors anywhere in the file.
    ErrorCase("FROM a\nRUNN x\nRUN <<EOF\n", "dockerfile parse error on line 3: unterminated heredoc"),
    ErrorCase("FROM a\nLABEL x=" + String(repeating: "a", count: 65_536), "dockerfile parse error on line 2: dockerfile line greater than max allowed size of 65535"),
]

@Test(arguments: errorCases)
func parseErrors(_ test: ErrorCase) {
    #expect(parseError(test.dockerfile) == test.expected)
}

@Test func errorsNameTheirLines() throws {
    #expect(throws: DockerfileError("unterminated heredoc", lines: 3...5)) {
        try Dockerfile(parsing: "FROM a\n\nRUN <<EOF\nx\ny")
    }
    #expect(throws: DockerfileError("unknown instruction: RUNN (did you mean RUN?)", lines: 2...4)) {
        try Dockerfile(parsing: "FROM a\nRUNN a \\\n b \\\n c")
    }
    #expect(throws: DockerfileError("file with no instructions", lines: nil)) { try Dockerfile(parsing: "") }
    #expect(DockerfileError("dockerfile contains no stages to build", lines: nil).description == "dockerfile contains no stages to build")
}

@Test func longestLineIsAccepted() throws {
    let label = "LABEL x=" + String(repeating: "a", count: 65_535 - 8)
    #expect(try Dockerfile(parsing: "FROM a\n" + label + "\n").stages[0].instructions.count == 1)
    #expect(parseError("FROM a\n" + label + "a\n") != nil)
}

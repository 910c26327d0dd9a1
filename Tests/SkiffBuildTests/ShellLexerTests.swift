import Testing

@testable import SkiffBuild

// Variable substitution and word splitting, as BuildKit's shell lexer does them.

let variables = [
    "A": "a", "EMPTY": "", "SPACED": " x  y ", "P": "/usr/local/bin", "N": "0123", "U": "ünï", "MATCH": "[$0]", "DOLLARS": "<$$>",
]

struct WordCase: CustomTestStringConvertible, Sendable {
    let input: String
    let expected: String?
    var testDescription: String { input.debugDescription }

    init(_ input: String, _ expected: String?) {
        self.input = input
        self.expected = expected
    }
}

let wordCases: [WordCase] = [
    WordCase("plain", "plain"),
    WordCase("$A", "a"), WordCase("${A}", "a"), WordCase("x${A}y", "xay"), WordCase("$A$A", "aa"), WordCase("$A-$A", "a-a"),
    WordCase("$", "$"), WordCase("a$", "a$"), WordCase("$.x", "$.x"), WordCase("$ A", "$ A"),
    WordCase("$UNSET", ""), WordCase("${UNSET}x", "x"), WordCase("$Ax", ""), WordCase("${A}x", "ax"),
    WordCase("$U", "ünï"), WordCase("$Ü", ""),
    // Positional and special parameters are never set.
    WordCase("$1x", "x"), WordCase("$10x", "x"), WordCase("$@x", "x"), WordCase("$$x", "x"), WordCase("${#}", ""), WordCase("${0:-zero}", "zero"),
    // Defaults and alternatives.
    WordCase("${UNSET:-d}", "d"), WordCase("${EMPTY:-d}", "d"), WordCase("${A:-d}", "a"),
    WordCase("${UNSET-d}", "d"), WordCase("${EMPTY-d}", ""), WordCase("${A-d}", "a"),
    WordCase("${UNSET:+alt}", ""), WordCase("${EMPTY:+alt}", ""), WordCase("${A:+alt}", "alt"),
    WordCase("${UNSET+alt}", ""), WordCase("${EMPTY+alt}", "alt"), WordCase("${A+alt}", "alt"),
    WordCase("${A:?must}", "a"), WordCase("${EMPTY?must}", ""),
    WordCase("${UNSET:-${A}b}", "ab"), WordCase("${UNSET:-${UNSET2:-deep}}", "deep"), WordCase("${UNSET:-\"q r\"}", "q r"),
    WordCase("${UNSET:-'$A'}", "$A"), WordCase("${UNSET:-a\\}b}", "a}b"), WordCase("${UNSET:-{x}", "{x"), WordCase("${A}}", "a}"),
    // Quotes and escapes.
    WordCase("'$A'", "$A"), WordCase("\"$A\"", "a"), WordCase("\"'$A'\"", "'a'"), WordCase("'\"$A\"'", "\"$A\""),
    WordCase("\\$A", "$A"), WordCase("\\${A}", "${A}"), WordCase("\"\\$A\"", "$A"), WordCase("'\\$A'", "\\$A"),
    WordCase("a\\ b", "a b"), WordCase("a\\tb", "atb"), WordCase("\"a\\tb\"", "a\\tb"), WordCase("\"a\\\\b\"", "a\\b"),
    WordCase("\"a\\\"b\"", "a\"b"), WordCase("'it'\\''s'", "it's"), WordCase("a\\", "a"), WordCase("a\\\\", "a\\"),
    WordCase("\"\"", ""), WordCase("''", ""), WordCase("a\"b c\"d", "ab cd"),
    // Heredoc markers pass through.
    WordCase("<<EOF", "<<EOF"), WordCase("a<b", "a<b"),
    // Patterns: # and % trim a prefix or suffix (shortest, or longest when doubled).
    WordCase("${P#*/}", "usr/local/bin"), WordCase("${P##*/}", "bin"), WordCase("${P%/*}", "/usr/local"), WordCase("${P%%/*}", ""),
    WordCase("${P#/usr}", "/local/bin"), WordCase("${P#nomatch}", "/usr/local/bin"), WordCase("${P%?in}", "/usr/local/"),
    WordCase("${N#0}", "123"), WordCase("${N%%[0-9]}", "0123"), WordCase("${UNSET#x}", ""), WordCase("${P#\\/}", "usr/local/bin"),
    WordCase("${P#$A}", "/usr/local/bin"),
    // Replacement: first or all, greedy stars; `$$` and `$0` in an all-replacement are Go template syntax.
    WordCase("${P/local/opt}", "/usr/opt/bin"), WordCase("${P//\\//:}", ":usr:local:bin"), WordCase("${P/\\//:}", ":usr/local/bin"),
    WordCase("${P/u*l/X}", "/X/bin"), WordCase("${P//?/.}", ".............."), WordCase("${P/#/x}", "/usr/local/bin"),
    WordCase("${A//a/$DOLLARS}", "<$>"), WordCase("${A//a/$MATCH}", "[a]"), WordCase("${A/a/$MATCH}", "[$0]"), WordCase("${A///}", "a"),
    WordCase("${A//a/<$$>}", "<>"),
    WordCase("${A//}", nil),
    // Errors.
    WordCase("${UNSET:?}", nil), WordCase("${UNSET?}", nil), WordCase("${EMPTY:?}", nil), WordCase("${UNSET:?custom}", nil),
    WordCase("${A", nil), WordCase("${", nil), WordCase("${}", nil), WordCase("${:}", nil), WordCase("${{A}}", nil),
    WordCase("${A:=x}", nil), WordCase("${A=x}", nil), WordCase("${A x}", nil), WordCase("${.}", nil), WordCase("${A:#x}", nil),
    WordCase("'open", nil), WordCase("\"open", nil), WordCase("\"a\\\"", nil), WordCase("${UNSET:-\"open}", nil),
    WordCase("${P#\\x}", nil),
]

@Test(arguments: wordCases)
func processWord(_ test: WordCase) {
    #expect((try? ShellLexer().processWord(test.input, variables)) == test.expected)
}

@Test func errorMessages() {
    func message(_ word: String, _ lexer: ShellLexer = ShellLexer()) -> String? {
        do {
            _ = try lexer.processWord(word, variables)
            return nil
        } catch {
            return error.message
        }
    }
    #expect(message("${UNSET:?}") == #"failed to process "${UNSET:?}": UNSET: is not allowed to be unset"#)
    #expect(message("${EMPTY:?}") == #"failed to process "${EMPTY:?}": EMPTY: is not allowed to be empty"#)
    #expect(message("${UNSET?must be set}") == #"failed to process "${UNSET?must be set}": UNSET: must be set"#)
    // As in BuildKit: the end of input is read as the modifier, shown as U+FFFD.
    #expect(message("${A") == "failed to process \"${A\": unsupported modifier (\u{FFFD}) in substitution")
    #expect(message("${A:-x") == #"failed to process "${A:-x": syntax error: missing '}'"#)
    #expect(message("${}") == #"failed to process "${}": syntax error: bad substitution"#)
    #expect(message("${A:=x}") == #"failed to process "${A:=x}": unsupported modifier (:=) in substitution"#)
    #expect(message("${A:%x}") == #"failed to process "${A:%x}": unsupported modifier (:%) in substitution"#)
    #expect(message("'x") == #"failed to process "'x": unexpected end of statement while looking for matching single-quote"#)
    #expect(message("\"x") == #"failed to process "\"x": unexpected end of statement while looking for matching double-quote"#)
    #expect(message("${A/x}") == #"failed to process "${A/x}": syntax error: missing '/' in ${}"#)
    #expect(message("${P#\\x}") == #"failed to process "${P#\\x}": invalid pattern (\x) in substitution: invalid escape '\x'"#)
    #expect(message("${P%a\\b}") == #"failed to process "${P%a\\b}": invalid pattern (\ba) in substitution: invalid escape '\b'"#)
    #expect(message("\t${A:-") == #"failed to process "\t${A:-": syntax error: missing '}'"#)
}

@Test func backtickEscape() throws {
    let lexer = ShellLexer(escape: "`")
    #expect(try lexer.processWord("`$A", variables) == "$A")
    #expect(try lexer.processWord("c:\\$A", variables) == "c:\\a")
    #expect(try lexer.processWord("\"`\"$A`\"\"", variables) == "\"a\"")
    #expect(try lexer.processWords("a` b c", variables) == ["a b", "c"])
}

@Test func wordSplitting() throws {
    let lexer = ShellLexer()
    let cases: [(String, [String])] = [
        ("a b  c", ["a", "b", "c"]),
        ("  a\tb\n", ["a", "b"]),
        ("\"a b\" c", ["a b", "c"]),
        ("'a  b'c d", ["a  bc", "d"]),
        ("a\\ b c", ["a b", "c"]),
        ("$SPACED", ["x", "y"]),
        ("\"$SPACED\"", [" x  y "]),
        ("x$SPACED", ["x", "x", "y"]),
        ("${SPACED}z", ["x", "y", "z"]),
        ("$EMPTY", []),
        ("\"\"", []),
        ("a \"\" b", ["a", "b"]),
        ("80 443/tcp", ["80", "443/tcp"]),
        ("<<  EOF x", ["<<  EOF", "x"]),
        // BuildKit quirk kept on purpose: a nested ${...:-...} resets the word being built.
        ("a${UNSET:-b}", ["b"]),
        ("a${UNSET:-b} c", ["b", "c"]),
        ("$A${UNSET:-b}", ["b"]),
    ]
    for (input, expected) in cases {
        #expect(try lexer.processWords(input, variables) == expected, "\(input)")
    }
}

@Test func rawAndSkippingModes() throws {
    var raw = ShellLexer()
    raw.rawQuotes = true
    raw.rawEscapes = true
    raw.skipUnsetVariables = true
    #expect(try raw.processWord("'$A' \"$A\" \\$A $UNSET ${UNSET} ${UNSET:-x}", variables) == "'$A' \"a\" \\$A $UNSET ${UNSET} ${UNSET:-x}")
    var heredoc = ShellLexer()
    heredoc.skipProcessQuotes = true
    #expect(try heredoc.processWord("'$A' \"$A\" \\$A \\\\ ${UNSET:-x}", variables) == "'a' \"a\" $A \\ x")
}

@Test func deepNestingIsRefusedNotFatal() throws {
    let depth = 10_000
    let word = String(repeating: "${A:-", count: depth) + "x" + String(repeating: "}", count: depth)
    #expect(throws: ExpansionError.self) { try ShellLexer().processWord(word, [String: String]()) }
    let shallow = String(repeating: "${U:-", count: 30) + "x" + String(repeating: "}", count: 30)
    #expect(try ShellLexer().processWord(shallow, [String: String]()) == "x")
}

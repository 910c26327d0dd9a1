import Testing

@testable import SkiffBuild

// The parser's first stage: lines, continuations, comments, directives, JSON,
// flags and each keyword's argument rules, in BuildKit's dump notation.

struct SyntaxCase: CustomTestStringConvertible, Sendable {
    let dockerfile: String
    let expected: [String]
    var testDescription: String { dockerfile.debugDescription }

    init(_ dockerfile: String, _ expected: [String]) {
        self.dockerfile = dockerfile
        self.expected = expected
    }
}

let syntaxCases: [SyntaxCase] = [
    // Keywords, blanks, comments.
    SyntaxCase("FROM busybox", [#"(from "busybox")"#]),
    SyntaxCase("from busybox\nrun  true", [#"(from "busybox")"#, #"(run "true")"#]),
    SyntaxCase("   RUN   echo   hi   \t", [#"(run "echo   hi")"#]),
    SyntaxCase("RUN\techo", [#"(run "echo")"#]),
    SyntaxCase("# comment\nRUN a # not a comment", [#"(run "a # not a comment")"#]),
    SyntaxCase("   # indented comment\n\n\nRUN a", [#"(run "a")"#]),
    SyntaxCase("RUN", ["(run)"]),
    // Continuations.
    SyntaxCase("RUN a \\\n  b", [#"(run "a   b")"#]),
    SyntaxCase("RUN a\\\nb", [#"(run "ab")"#]),
    SyntaxCase("RUN a \\  \t\nb", [#"(run "a b")"#]),
    SyntaxCase("RUN a \\\\\nRUN b", [#"(run "a \\\\")"#, #"(run "b")"#]),
    SyntaxCase("RUN a \\\n# a comment \\\n   # indented comment\n  b", [#"(run "a   b")"#]),
    SyntaxCase("RUN a \\\n\n   \n b", [#"(run "a  b")"#]),
    SyntaxCase("RUN a \\\n\\\nb", [#"(run "a b")"#]),
    SyntaxCase("RUN a \\", [#"(run "a")"#]),
    SyntaxCase("RUN a \\\n", [#"(run "a")"#]),
    SyntaxCase("# comment ending in a backslash \\\nRUN a", [#"(run "a")"#]),
    SyntaxCase("FROM a\r\nRUN b \\\r\n c\r\n", [#"(from "a")"#, #"(run "b  c")"#]),
    SyntaxCase("\u{FEFF}FROM a", [#"(from "a")"#]),
    // The escape directive.
    SyntaxCase("# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo", [#"(from "a")"#, #"(run "dir c:\\   && echo")"#]),
    SyntaxCase("#escape = `\n\nRUN a `\nb", [#"(run "a b")"#]),
    SyntaxCase("FROM a\n# escape=`\nRUN a `\nRUN b", [#"(from "a")"#, #"(run "a `")"#, #"(run "b")"#]),
    SyntaxCase("# x\n# escape=`\nRUN a `\nRUN b", [#"(run "a `")"#, #"(run "b")"#]),
    SyntaxCase("# syntax=docker/dockerfile:1\n# escape=`\nRUN a `\nb", [#"(run "a b")"#]),
    // JSON (exec form) and its fallbacks.
    SyntaxCase(#"CMD ["a", "b"]"#, [#"(cmd "a" "b")"#]),
    SyntaxCase("CMD\t[ \"a\" ,\t\"b\" ]  ", [#"(cmd "a" "b")"#]),
    SyntaxCase("CMD []", ["(cmd)"]),
    SyntaxCase(#"CMD [""]"#, [#"(cmd "")"#]),
    SyntaxCase(#"RUN ["\u0041\t\"\\\/", "\ud83d\ude00", "\ud800x"]"#, [#"(run "A\t\"\\/" "😀" "�x")"#]),
    SyntaxCase(#"CMD ["a",]"#, [#"(cmd "[\"a\",]")"#]),
    SyntaxCase("CMD ['a', 'b']", [#"(cmd "['a', 'b']")"#]),
    SyntaxCase(#"CMD ["a"] && b"#, [#"(cmd "[\"a\"] && b")"#]),
    SyntaxCase(#"CMD "["a"]""#, [#"(cmd "\"[\"a\"]\"")"#]),
    SyntaxCase(#"CMD ["a" "b"]"#, [#"(cmd "[\"a\" \"b\"]")"#]),
    SyntaxCase(#"VOLUME ["/a", "/b"]"#, [#"(volume "/a" "/b")"#]),
    SyntaxCase("VOLUME /a  /b", [#"(volume "/a" "/b")"#]),
    SyntaxCase(#"COPY ["a b", "/c d/"]"#, [#"(copy "a b" "/c d/")"#]),
    SyntaxCase(#"SHELL ["powershell", "-command"]"#, [#"(shell "powershell" "-command")"#]),
    // Builder flags.
    SyntaxCase(#"COPY --from=a --chown="u g" x y"#, [#"(copy ["--from=a" "--chown=u g"] "x" "y")"#]),
    SyntaxCase("COPY --chown=a\\ b x y", [#"(copy ["--chown=a b"] "x" "y")"#]),
    SyntaxCase("COPY --link -- --x y", [#"(copy ["--link"] "--x" "y")"#]),
    SyntaxCase("COPY -x y", [#"(copy "-x" "y")"#]),
    SyntaxCase(#"COPY --from="" x y"#, [#"(copy ["--from="] "x" "y")"#]),
    SyntaxCase("RUN --mount=type=cache,target=/x --network=none make", [#"(run ["--mount=type=cache,target=/x" "--network=none"] "make")"#]),
    SyntaxCase(#"CMD --x ["a"]"#, [#"(cmd ["--x"] "a")"#]),
    SyntaxCase("COPY --x", [#"(copy ["--x"])"#]),
    // ENV and LABEL.
    SyntaxCase("ENV a b c", [#"(env "a" "b c" "")"#]),
    SyntaxCase("ENV a  b   c", [#"(env "a" "b   c" "")"#]),
    SyntaxCase("ENV a=b c=d", [#"(env "a" "b" "=" "c" "d" "=")"#]),
    SyntaxCase(#"ENV a="b c" d=e\ f g='h i'"#, [#"(env "a" "\"b c\"" "=" "d" "e\\ f" "=" "g" "'h i'" "=")"#]),
    SyntaxCase(#"ENV a="b \"c\"""#, [#"(env "a" "\"b \\\"c\\\"\"" "=")"#]),
    SyntaxCase("ENV a= b=", [#"(env "a" "" "=" "b" "" "=")"#]),
    SyntaxCase("ENV a b=c", [#"(env "a" "b=c" "")"#]),
    SyntaxCase(#"LABEL "com.example.name"="x y" v=1"#, [#"(label "\"com.example.name\"" "\"x y\"" "=" "v" "1" "=")"#]),
    SyntaxCase("LABEL maintainer someone <a@b.c>", [#"(label "maintainer" "someone <a@b.c>" "")"#]),
    // ARG keeps quotes (the value is expanded later).
    SyntaxCase(#"ARG a b=c "d=e f" g="""#, [#"(arg "a" "b=c" "\"d=e f\"" "g=\"\"")"#]),
    SyntaxCase("ARG a\\ b", [#"(arg "a\\ b")"#]),
    // One string.
    SyntaxCase("USER  app:app  ", [#"(user "app:app")"#]),
    SyntaxCase(#"WORKDIR "/a b""#, [#"(workdir "\"/a b\"")"#]),
    SyntaxCase("MAINTAINER Jo <jo@example.com>", [#"(maintainer "Jo <jo@example.com>")"#]),
    SyntaxCase("STOPSIGNAL SIGKILL", [#"(stopsignal "SIGKILL")"#]),
    // Blank-separated.
    SyntaxCase("FROM --platform=$BUILDPLATFORM golang:1.22 AS build", [#"(from ["--platform=$BUILDPLATFORM"] "golang:1.22" "AS" "build")"#]),
    SyntaxCase("EXPOSE 80/tcp\t443", [#"(expose "80/tcp" "443")"#]),
    // HEALTHCHECK: the type, then the command as CMD.
    SyntaxCase("HEALTHCHECK --interval=5s CMD [\"x\", \"y\"]", [#"(healthcheck ["--interval=5s"] "CMD" "x" "y")"#]),
    SyntaxCase("HEALTHCHECK   CMD   curl -f  localhost", [#"(healthcheck "CMD" "curl -f  localhost")"#]),
    SyntaxCase("HEALTHCHECK NONE", [#"(healthcheck "NONE")"#]),
    SyntaxCase("HEALTHCHECK", ["(healthcheck)"]),
    // ONBUILD wraps an instruction.
    SyntaxCase("ONBUILD RUN echo hi", [#"(onbuild (run "echo hi"))"#]),
    SyntaxCase(#"onbuild add ["a", "/b"]"#, [#"(onbuild (add "a" "/b"))"#]),
    SyntaxCase("ONBUILD ONBUILD RUN x", [#"(onbuild (onbuild "RUN" "x"))"#]),
    // Heredoc words are arguments like any other (bodies are in `heredocs`).
    SyntaxCase("RUN <<EOF\necho hi\nEOF", [#"(run "<<EOF")"#]),
    SyntaxCase("COPY <<A <<B /dst\na\nA\nb\nB\nRUN x", [#"(copy "<<A" "<<B" "/dst")"#, #"(run "x")"#]),
]

@Test(arguments: syntaxCases)
func syntax(_ test: SyntaxCase) throws {
    #expect(try dump(test.dockerfile) == test.expected)
}

@Test func lineNumbersCountEveryPhysicalLine() throws {
    let text = """
        # escape=\\


        FROM busybox


        # the next one spans lines 8-10
        ENV A \\
            b \\
            c
        RUN <<EOF
        one
        EOF

        RUN a \\

            b
        """
    let syntax = try DockerfileSyntax(parsing: Array(text.utf8))
    #expect(syntax.instructions.map(\.lines) == [4...4, 8...10, 11...13, 15...17])
    #expect(syntax.instructions.map(\.original) == ["FROM busybox", "ENV A     b     c", "RUN <<EOF", "RUN a     b"])
    #expect(syntax.directives == [ParserDirective(name: "escape", value: "\\", line: 1)])
    #expect(syntax.warnings == [DockerfileWarning(message: "Empty continuation line found in: RUN a     b", line: 17)])
}

@Test func directives() throws {
    let dockerfile = try Dockerfile(parsing: """
        # Syntax = docker/dockerfile:1.7 // options
        # check=skip=all
        #  ESCAPE =  `  \t
        FROM a
        """)
    #expect(dockerfile.directives.map(\.name) == ["syntax", "check", "escape"])
    #expect(dockerfile.directive("syntax") == "docker/dockerfile:1.7 // options")
    #expect(dockerfile.directive("check") == "skip=all")
    #expect(dockerfile.escape == "`")
    // An unknown directive ends the directives: `escape` below it is a comment.
    let unknown = try Dockerfile(parsing: "# foo=bar\n# escape=`\nFROM a")
    #expect(unknown.escape == "\\")
    #expect(unknown.directives.isEmpty)
    // So does a blank line.
    #expect(try Dockerfile(parsing: "\n# escape=`\nFROM a").escape == "\\")
}

@Test func instructionsKeepTheirOriginalText() throws {
    let dockerfile = try Dockerfile(parsing: "FROM a  AS  b\n  run   echo \\\n   hi  \nCOPY <<EOF /x\nbody\nEOF\n")
    let stage = try #require(dockerfile.stages.first)
    #expect(stage.original == "FROM a  AS  b")
    #expect(stage.lines == 1...1)
    #expect(stage.instructions.map(\.keyword) == ["run", "COPY"])
    #expect(stage.instructions.map(\.original) == ["run   echo    hi", "COPY <<EOF /x"])
    #expect(stage.instructions.map(\.lines) == [2...3, 4...6])
    #expect(stage.instructions[1].heredocs == [Heredoc(name: "EOF", content: "body\n")])
}

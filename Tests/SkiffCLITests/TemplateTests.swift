import Testing

@testable import SkiffCLI

private let data = try! JSON.parse(#"""
    {"a":"hi","n":3,"f":1.5,"arr":["x","y"],"obj":{"k":"v","b":2},"nul":null,"t":true,
     "Labels":{"com.example":"yes"},"State":{"Status":"running","Pid":1234,"Health":null},
     "Mounts":[{"Source":"/a","Destination":"/b"},{"Source":"/c","Destination":"/d"}]}
    """#)

private func run(_ template: String, missingKeyIsError: Bool = false) throws -> String {
    try GoTemplate(template).execute(.json(data), missingKeyIsError: missingKeyIsError)
}

/// Expected outputs are Go 1.19 text/template's on the same data (typed-int numbers).
@Test(arguments: [
    ("{{.a}}", "hi"),
    ("{{.x}}", "<no value>"),
    ("{{.n}}", "3"),
    ("{{.f}}", "1.5"),
    ("{{.arr}}", "[x y]"),
    ("{{.obj}}", "map[b:2 k:v]"),
    ("{{.State.Status}}", "running"),
    ("{{.State.Pid}}", "1234"),
    ("{{json .Config}}", "null"),
    ("{{json .obj}}", #"{"k":"v","b":2}"#),
    ("{{json .arr}}", #"["x","y"]"#),
    ("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}", "/a:/b /c:/d "),
    ("{{range $i, $e := .arr}}{{$i}}={{$e}} {{end}}", "0=x 1=y "),
    ("{{range .obj}}{{.}}{{end}}", "2v"),
    ("{{range $k, $v := .obj}}{{$k}}{{end}}", "bk"),
    ("{{range .nul}}x{{else}}empty{{end}}", "empty"),
    ("{{if eq .n 3}}y{{else}}n{{end}}", "y"),
    ("{{if .nul}}y{{else if .t}}t{{else}}n{{end}}", "t"),
    ("{{with .State}}{{.Status}}{{end}}", "running"),
    ("{{with .nul}}x{{else}}y{{end}}", "y"),
    (#"{{index .Labels "com.example"}}"#, "yes"),
    (#"{{index .Labels "missing"}}"#, ""),
    ("{{index .arr 1}}", "y"),
    (#"{{join .arr ","}}"#, "x,y"),
    (#"{{split "a,b" ","}}"#, "[a b]"),
    ("{{upper .a}} {{lower \"AB\"}} {{title \"hello world\"}}", "HI ab Hello World"),
    (#"{{printf "%5.2f|%-4s|%03d|%v|%q|%x" .f .a .n .arr .a .a}}"#, " 1.50|hi  |003|[x y]|\"hi\"|6869"),
    (#"{{printf "%d" .a}}"#, "%!d(string=hi)"),
    (#"{{.a | printf "%s-%s" "x"}}"#, "x-hi"),
    ("{{truncate .a 1}}|{{pad .a 1 2}}|{{pad \"\" 1 1}}", "h| hi  |"),
    ("{{len .obj}} {{len .arr}} {{len .a}}", "2 2 2"),
    ("{{println .a}}", "hi\n"),
    (#"{{print 1 2 "a" "b" 3}}"#, "1 2ab3"),
    ("{{and .a .n}} {{or .nul .a}} {{not .a}}", "3 hi false"),
    ("{{slice .a 1 2}}", "i"),
    (#"{{html "<a>"}} {{urlquery "a b&c"}}"#, "&lt;a&gt; a+b%26c"),
    ("{{$x := 1}}{{$x}}", "1"),
    ("{{$.a}}", "hi"),
    ("{{(index .arr 0) | upper}}", "X"),
    ("a  {{- .a -}}  b", "ahib"),
    ("{{/* comment */}}x", "x"),
    ("{{.State.Health}}", "<nil>"),
    ("{{if lt .n 5}}small{{end}}", "small"),
    ("{{range .arr}}{{if eq . \"y\"}}{{break}}{{end}}{{.}}{{end}}", "x"),
])
func templateOutput(template: String, expected: String) throws {
    #expect(try run(template) == expected)
}

@Test(arguments: [
    ("{{.nul.x}}", #"template: :1:6: executing "" at <.nul.x>: nil pointer evaluating interface {}.x"#),
    ("{{.a.x}}", #"template: :1:4: executing "" at <.a.x>: can't evaluate field x in type string"#),
    ("{{index .arr 5}}", #"template: :1:2: executing "" at <index .arr 5>: error calling index: index out of range: 5"#),
    ("{{.a 1}}", #"template: :1:2: executing "" at <.a>: a is not a method but has arguments"#),
    ("{{nil}}", #"template: :1:2: executing "" at <nil>: nil is not a command"#),
    ("{{eq .a 1}}", #"template: :1:2: executing "" at <eq .a 1>: error calling eq: incompatible types for comparison"#),
    ("{{join .a \",\"}}", #"template: :1:7: executing "" at <.a>: wrong type for value; expected []string; got string"#),
])
func templateExecutionErrors(template: String, expected: String) {
    do {
        _ = try run(template)
        Issue.record("expected an error")
    } catch {
        #expect("\(error)" == expected)
    }
}

@Test func missingKeyIsAnErrorForInspect() {
    do {
        _ = try run("{{.Foo}}", missingKeyIsError: true)
        Issue.record("expected an error")
    } catch {
        #expect("\(error)" == #"template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo""#)
    }
}

@Test(arguments: [
    ("{{.ID", "template: :1: unclosed action"),
    ("{{if}}", "template: :1: missing value for if"),
    ("{{foo}}", #"template: :1: function "foo" not defined"#),
    ("{{end}}", "template: :1: unexpected {{end}}"),
    ("{{if .a}}x", "template: :1: unexpected EOF"),
    ("a\n{{$x}}", #"template: :2: undefined variable "$x""#),
])
func templateParseErrors(template: String, expected: String) {
    do {
        _ = try GoTemplate(template)
        Issue.record("expected a parse error")
    } catch {
        #expect(error.description == expected)
    }
}

/// docker runs inspect templates on its typed structs: zero values for absent fields, nil
/// slices and maps printed as `[]` and `map[]`, durations as Go prints them.
@Test(arguments: [
    ("{{.State.Health}}", "<nil>"),
    ("{{.HostConfig.Binds}}", "[]"),
    ("{{len .HostConfig.Binds}}", "0"),
    ("{{.Config.Labels}}", "map[]"),
    ("{{.Config.Healthcheck.Interval}}", "1m30s"),
    ("{{.ID}}", "abc"),
    ("{{.HostConfig.DNS}}", "[1.1.1.1]"),
    ("{{.SizeRw}}", "<nil>"),
    ("{{.RestartCount}}", "0"),
    ("{{index .Config.Labels \"x\"}}", ""),
    ("{{range .Mounts}}{{.Destination}}{{end}}", "/data"),
    ("{{json .HostConfig.Binds}}", "null"),
])
func typedInspectTemplates(template: String, expected: String) throws {
    let container = try JSON.parse(#"""
        {"Id":"abc","State":{"Status":"running"},"HostConfig":{"Binds":null,"Dns":["1.1.1.1"]},
         "Config":{"Labels":null,"Healthcheck":{"Test":["CMD","true"],"Interval":90000000000}},
         "Mounts":[{"Destination":"/data"}]}
        """#)
    #expect(try GoTemplate(template).execute(.typed(container, DockerTypes.container)) == expected)
}

@Test func unknownFieldsFailOnTypedStructs() {
    let container = try! JSON.parse(#"{"Id":"abc"}"#)
    do {
        _ = try GoTemplate("{{.Nope}}").execute(.typed(container, DockerTypes.container))
        Issue.record("expected an error")
    } catch {
        #expect("\(error)".hasSuffix("can't evaluate field Nope in type container.InspectResponse"))
    }
}

import Testing

@testable import SkiffCLI

@Test func tabWriterPadsColumnsAsDocker() {
    let text = "CONTAINER ID\tIMAGE\tNAMES\nabc\tbusybox:latest\tweb\n"
    #expect(TabWriter().format(text) == "CONTAINER ID   IMAGE            NAMES\nabc            busybox:latest   web\n")
}

@Test func tabWriterMinimumWidthAndEmptyCells() {
    #expect(TabWriter().format("A\tB\tC\n1\t\t3\n") == "A         B         C\n1                   3\n")
}

@Test func tabWriterCountsDisplayColumns() {
    #expect(TabWriter().format("NAME\tX\n名前名前名前\ty\n") == "NAME           X\n名前名前名前   y\n")
}

@Test func tabWriterLineWithoutTabsEndsTheBlock() {
    #expect(TabWriter().format("a\tb\nsingle\nlonger-cell\tc\n") == "a         b\nsingle\nlonger-cell   c\n")
}

@Test func ellipsisAndTruncatedIDs() {
    #expect(ellipsis("sleep 1000 && echo done", 20) == "sleep 1000 && echo …")
    #expect(ellipsis("short", 20) == "short")
    #expect(truncateID("sha256:2998d8e8ca02126625c962e271d58da2b6b55fe7654da69f11a9a0ec9b243a48") == "2998d8e8ca02")
}

@Test func imageNamesNormaliseAsDocker() {
    #expect(ImageName("busybox")?.name == "docker.io/library/busybox")
    #expect(ImageName("busybox")?.familiarWithDefaultTag == "busybox:latest")
    #expect(ImageName("localhost:5000/a/b:1")?.familiarName == "localhost:5000/a/b")
    #expect(ImageName("user/app@sha256:abcd")?.digest == "sha256:abcd")
    #expect(ImageName("Upper") == nil)
}

@Test func portsColumn() throws {
    let ports = try JSON.parse(#"""
        [{"PrivatePort":80,"Type":"tcp"},{"PrivatePort":81,"Type":"tcp"},
         {"IP":"0.0.0.0","PrivatePort":443,"PublicPort":8443,"Type":"tcp"},{"PrivatePort":53,"Type":"udp"}]
        """#).array!
    #expect(displayablePorts(ports) == "53/udp, 80-81/tcp, 0.0.0.0:8443->443/tcp")
}

@Test func psTableWithLabelColumnHeader() throws {
    let summary = try JSON.parse(#"{"Id":"0123456789abcdef","Names":["/web"],"Image":"busybox","Command":"sleep 1","Created":0,"Labels":{"com.example.team-name":"core"},"State":"running","Status":"Up"}"#)
    let row = ContainerRecord(summary: summary, truncate: true, usage: nil, now: 10)
    let out = try Formatter(format: #"table {{.ID}}\t{{.Label "com.example.team-name"}}\t{{.Names}}"#).render([row], header: ContainerRecord.header)
    #expect(out == "CONTAINER ID   team name   NAMES\n0123456789ab   core        web\n")
}

@Test func headerKeepsFunctionsThatShapeColumns() throws {
    let summary = try JSON.parse(#"{"Id":"abc","Names":["/web"]}"#)
    let row = ContainerRecord(summary: summary, truncate: true, usage: nil, now: 0)
    let out = try Formatter(format: "table {{pad .Names 1 1}}|{{upper .Names}}|{{truncate .Names 2}}").render([row], header: ContainerRecord.header)
    #expect(out == " NAMES |NAMES|NAMES\n web |WEB|we\n")
}

@Test func jsonOfARowIsSortedAndHTMLEscaped() throws {
    let summary = try JSON.parse(#"{"Id":"abc","Names":["/a<b"],"Image":"x","Command":"c","Created":0}"#)
    let row = ContainerRecord(summary: summary, truncate: true, usage: nil, now: 0)
    let out = try Formatter(format: "json").render([row], header: ContainerRecord.header)
    #expect(out.hasPrefix(#"{"Command":"\"c\"","CreatedAt":"#))
    #expect(out.contains(#""Names":"a\u003cb""#))
}

@Test func inspectIndentsTheDaemonsBytes() {
    let raw = Array(#"{"a":[],"b":{},"c":[1,{"d":"\u003c"}]}"#.utf8)
    let expected = "{\n    \"a\": [],\n    \"b\": {},\n    \"c\": [\n        1,\n        {\n            \"d\": \"\\u003c\"\n        }\n    ]\n}"
    #expect(String(decoding: JSON.reformat(raw, indent: "    "), as: UTF8.self) == expected)
    #expect(String(decoding: JSON.reformat(Array("{ \"a\" : [ 1 , 2 ] }".utf8), indent: nil), as: UTF8.self) == #"{"a":[1,2]}"#)
}

@Test func jsonRoundTrip() throws {
    let text = #"{"s":"a\"b\\c\n\u0001é","n":-1.5e3,"t":true,"f":false,"z":null,"a":[1,2]}"#
    let value = try JSON.parse(text)
    #expect(value["s"]?.string == "a\"b\\c\n\u{01}é")
    #expect(value.compact == #"{"s":"a\"b\\c\n\u0001é","n":-1.5e3,"t":true,"f":false,"z":null,"a":[1,2]}"#)
    #expect(throws: JSONError.self) { try JSON.parse("{\"a\":}") }
}

@Test func queriesEncodeAsGo() {
    var q = Query()
    q.add("tag", "latest")
    q.add("fromImage", "docker.io/library/busybox")
    q.add("filters", #"{"label":{"a b":true}}"#)
    #expect(q.encoded == "filters=%7B%22label%22%3A%7B%22a+b%22%3Atrue%7D%7D&fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest")
}

@Test func filtersRejectValuesWithoutEquals() throws {
    let f = try Filters(parsing: ["status=running", "label=a=b", "status=exited"])
    #expect(f.json == #"{"label":{"a=b":true},"status":{"exited":true,"running":true}}"#)
    #expect(throws: CLIError.self) { try Filters(parsing: ["nope"]) }
}

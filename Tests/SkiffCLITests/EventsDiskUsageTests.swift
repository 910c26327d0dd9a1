import Testing

@testable import SkiffCLI

/// `events`, `system df` and `system prune` as docker's CLI prints them (the end-to-end
/// comparison with docker is in Tests/integration/test_events.py).
struct EventsDiskUsageTests {
    static let start: JSON = [
        "status": "start", "id": "abc", "from": "busybox", "Type": "container", "Action": "start",
        "Actor": ["ID": "abc", "Attributes": ["name": "web", "image": "busybox", "Zeta": "1"]],
        "scope": "local", "time": 1_700_000_000, "timeNano": .number("1700000000000000005"),
    ]

    @Test func plainLinesSortTheAttributesAfterTheTime() throws {
        let line = try EventsCommand.render(Self.start, nil)
        let stamp = GoTime.rfc3339NanoFixed(nanoseconds: 1_700_000_000_000_000_005)
        #expect(line == stamp + " container start abc (Zeta=1, image=busybox, name=web)\n")
        #expect(stamp.hasPrefix("20") && stamp.contains(".000000005"))
        let prune: JSON = ["Type": "volume", "Action": "prune", "Actor": ["ID": "", "Attributes": [:]]]
        #expect(try EventsCommand.render(prune, nil) == "volume prune \n")
    }

    @Test func fixedNanosecondsInUTC() {
        guard GoTime.rfc3339(seconds: 0) == "1970-01-01T00:00:00Z" else { return }  // only where the zone is UTC
        #expect(GoTime.rfc3339NanoFixed(nanoseconds: 1_700_000_000_120_000_000) == "2023-11-14T22:13:20.120000000Z")
        #expect(GoTime.rfc3339NanoFixed(nanoseconds: -1) == "1969-12-31T23:59:59.999999999Z")
    }

    @Test func jsonFormatMarshalsAsGo() throws {
        let template = try EventsCommand.makeTemplate("json")
        #expect(try EventsCommand.render(Self.start, template) == #"""
            {"status":"start","id":"abc","from":"busybox","Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"Zeta":"1","image":"busybox","name":"web"}},"scope":"local","time":1700000000,"timeNano":1700000000000000005}

            """#)
        let network: JSON = [
            "Type": "network", "Action": "create", "Actor": ["ID": "n1", "Attributes": ["name": "x", "type": "bridge"]],
            "scope": "local", "time": 1, "timeNano": 1_000_000_000,
        ]
        #expect(try EventsCommand.render(network, template) == #"""
            {"Type":"network","Action":"create","Actor":{"ID":"n1","Attributes":{"name":"x","type":"bridge"}},"scope":"local","time":1,"timeNano":1000000000}

            """#)
        let fields = try EventsCommand.makeTemplate("{{.Type}} {{.Actor.Attributes.name}} {{.Time}}")
        #expect(try EventsCommand.render(Self.start, fields) == "container web 1700000000\n")
    }

    @Test func badTemplatesAreRefusedBeforeAnyRequest() {
        #expect {
            _ = try EventsCommand.makeTemplate("{{.Foo}}")
        } throws: { error in
            let e = error as? CLIError
            return e?.status == 64
                && e?.message == #"Error parsing format: template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type *events.Message"#
        }
        #expect(throws: CLIError.self) { try EventsCommand.makeTemplate("{{.Foo") }
    }

    @Test func diskUsageSummaryFigures() {
        let usage: JSON = [
            "LayersSize": 1000,
            "Images": [
                ["Size": 1000, "SharedSize": 400, "Containers": 1],
                ["Size": 600, "SharedSize": 400, "Containers": 0],
            ],
            "Containers": [
                ["State": "running", "SizeRw": 100],
                ["State": "exited", "SizeRw": 300],
            ],
            "Volumes": [
                ["UsageData": ["Size": 2000, "RefCount": 1]],
                ["UsageData": ["Size": 500, "RefCount": 0]],
                ["UsageData": ["Size": -1, "RefCount": 0]],
            ],
            "BuildCache": [],
        ]
        let rows = DiskUsageRecord.rows(usage).map(\.json)
        #expect(rows[0] == ["Active": "1", "Reclaimable": "400B (40%)", "Size": "1kB", "TotalCount": "2", "Type": "Images"])
        #expect(rows[1] == ["Active": "1", "Reclaimable": "300B (75%)", "Size": "400B", "TotalCount": "2", "Type": "Containers"])
        #expect(rows[2] == ["Active": "1", "Reclaimable": "500B (20%)", "Size": "2.5kB", "TotalCount": "3", "Type": "Local Volumes"])
        #expect(rows[3] == ["Active": "0", "Reclaimable": "0B", "Size": "0B", "TotalCount": "0", "Type": "Build Cache"])
        let empty = DiskUsageRecord.rows(["LayersSize": 0, "Images": [], "Containers": [], "Volumes": [], "BuildCache": []]).map(\.json)
        #expect(empty.map { $0["Reclaimable"]?.string } == ["0B", "0B", "0B", "0B"])
    }

    @Test func pruneConfirmationAsDocker() {
        #expect(SystemPruneCommand.confirmation(all: false, volumes: false, filters: try! Filters(parsing: [])) == """
            WARNING! This will remove:
              - all stopped containers
              - all networks not used by at least one container
              - all dangling images
              - unused build cache

            Are you sure you want to continue?
            """)
        let filters = try! Filters(parsing: ["until=24h", "label=b", "label!=a", "label=a10", "label=a9"])
        #expect(SystemPruneCommand.confirmation(all: true, volumes: true, filters: filters) == """
            WARNING! This will remove:
              - all stopped containers
              - all networks not used by at least one container
              - all anonymous volumes not used by at least one container
              - all images without at least one container associated to them
              - all build cache

              Items to be pruned will be filtered with:
              - label!=a
              - label=a9
              - label=a10
              - label=b
              - until=24h

            Are you sure you want to continue?
            """)
    }
}

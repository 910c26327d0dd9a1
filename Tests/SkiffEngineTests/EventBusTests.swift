import SkiffEngine
import Testing

/// The event bus on its own: history bound, replay by time, live delivery, filters.
struct EventBusTests {
    @Test func historyKeepsTheLastEventsInOrder() {
        let bus = EventBus(limit: 5)
        let published = (0..<12).map { bus.publish(.container, "start", id: "c\($0)") }
        #expect(zip(published, published.dropFirst()).allSatisfy { $0.time < $1.time })
        let past = bus.subscribe(since: 0, until: published.last!.time).past
        #expect(past.map(\.actorID) == ["c7", "c8", "c9", "c10", "c11"])
    }

    @Test func replaysBetweenSinceAndUntilInclusive() {
        let bus = EventBus()
        let e = (0..<6).map { bus.publish(.volume, "create", id: "v\($0)") }
        #expect(bus.subscribe(since: e[2].time, until: e[4].time).past.map(\.actorID) == ["v2", "v3", "v4"])
        #expect(bus.subscribe(since: e[5].time + 1, until: nil).past.isEmpty)
        #expect(bus.subscribe(since: nil, until: e[1].time).past.map(\.actorID) == ["v0", "v1"])
        // Neither given: no replay (as dockerd), only what comes next.
        #expect(bus.subscribe(since: nil, until: nil).past.isEmpty)
    }

    @Test func untilInThePastEndsAtOnce() {
        let bus = EventBus()
        let e = bus.publish(.image, "tag", id: "sha256:1")
        let subscription = bus.subscribe(since: 0, until: e.time)
        #expect(subscription.live == nil)
        #expect(subscription.past.map(\.action) == ["tag"])
        #expect(bus.subscriberCount == 0)
    }

    @Test func liveEventsArriveAfterTheReplayAndStopAtUntil() async {
        let bus = EventBus()
        bus.publish(.container, "create", id: "a")
        let until = EventBus.now() + 300_000_000
        let subscription = bus.subscribe(since: 0, until: until, filter: EventFilter(["type": ["container"]]))
        #expect(subscription.past.map(\.action) == ["create"])
        bus.publish(.network, "create", id: "n")
        bus.publish(.container, "start", id: "a")
        var seen: [String] = []
        for await event in subscription.live! { seen.append(event.action) }
        // The stream ended by itself at `until`.
        #expect(seen == ["start"])
        #expect(EventBus.now() >= until)
        #expect(bus.subscriberCount == 0)
    }

    @Test func aConsumerThatGoesAwayUnsubscribes() async {
        let bus = EventBus()
        let subscription = bus.subscribe(since: nil, until: nil)
        #expect(bus.subscriberCount == 1)
        let consumer = Task {
            var count = 0
            for await _ in subscription.live! { count += 1 }
            return count
        }
        bus.publish(.container, "start", id: "a")
        consumer.cancel()
        _ = await consumer.value
        #expect(bus.subscriberCount == 0)
        bus.publish(.container, "die", id: "a")
    }

    @Test func filtersMatchAsDockerd() {
        func event(_ kind: Event.Kind, _ action: String, _ id: String, _ attributes: [String: String] = [:]) -> Event {
            Event(kind: kind, action: action, actorID: id, attributes: attributes, time: 1)
        }
        let start = event(.container, "start", "abc123", ["name": "web", "image": "busybox", "tier": "front"])
        let exec = event(.container, "exec_start: sh -c true", "abc123", ["name": "web", "image": "busybox"])
        let tag = event(.image, "tag", "sha256:f00", ["name": "busybox:1.36"])
        let full = event(.image, "tag", "sha256:f00", ["name": "docker.io/library/busybox:1.36"])
        let volume = event(.volume, "create", "data", ["driver": "local"])

        #expect(EventFilter().includes(start))
        #expect(EventFilter(["type": ["container"]]).includes(start))
        #expect(!EventFilter(["type": ["container"]]).includes(volume))
        #expect(EventFilter(["type": ["image", "volume"]]).includes(volume))
        // Containers by id prefix or name prefix; another kind's event has neither.
        #expect(EventFilter(["container": ["abc"]]).includes(start))
        #expect(EventFilter(["container": ["we"]]).includes(start))
        #expect(!EventFilter(["container": ["db"]]).includes(start))
        #expect(!EventFilter(["container": ["web"]]).includes(volume))
        #expect(EventFilter(["volume": ["data"]]).includes(volume))
        // Actions exactly, except the prefixed forms of exec and health events.
        #expect(EventFilter(["event": ["start"]]).includes(start))
        #expect(!EventFilter(["event": ["start"]]).includes(exec))
        #expect(EventFilter(["event": ["exec_start"]]).includes(exec))
        #expect(EventFilter(["event": ["die", "start"]]).includes(start))
        // Images by id, name or name without tag; containers by their image.
        #expect(EventFilter(["image": ["busybox"]]).includes(tag))
        #expect(EventFilter(["image": ["busybox:1.36"]]).includes(tag))
        #expect(EventFilter(["image": ["sha256:f00"]]).includes(tag))
        #expect(EventFilter(["image": ["busybox"]]).includes(full))
        #expect(!EventFilter(["image": ["busybox:1.36"]]).includes(full))
        #expect(EventFilter(["image": ["busybox"]]).includes(start))
        #expect(!EventFilter(["image": ["alpine"]]).includes(start))
        // Labels: all of them, by key or key=value.
        #expect(EventFilter(["label": ["tier"]]).includes(start))
        #expect(EventFilter(["label": ["tier=front", "image=busybox"]]).includes(start))
        #expect(!EventFilter(["label": ["tier=back"]]).includes(start))
        #expect(!EventFilter(["label": ["tier"]]).includes(volume))
        #expect(EventFilter(["scope": ["local"]]).includes(volume))
        #expect(!EventFilter(["scope": ["swarm"]]).includes(volume))
        // Keys together must all hold.
        #expect(!EventFilter(["type": ["container"], "event": ["die"]]).includes(start))
    }

    @Test func subscribersSeeOnlyWhatTheirFilterPasses() async {
        let bus = EventBus()
        let volumes = bus.subscribe(since: nil, until: nil, filter: EventFilter(["type": ["volume"]]))
        bus.publish(.container, "create", id: "c")
        bus.publish(.volume, "create", id: "v1")
        bus.publish(.volume, "destroy", id: "v1")
        var seen: [String] = []
        for await event in volumes.live! {
            seen.append(event.action)
            if seen.count == 2 { break }
        }
        #expect(seen == ["create", "destroy"])
    }
}

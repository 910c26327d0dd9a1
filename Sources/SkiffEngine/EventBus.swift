import Glibc
import Synchronization

/// The engine's events: published from any thread, kept in a bounded
/// in-memory history (the last `limit`, as dockerd keeps its last 256) for
/// `since`/`until` replay, and broadcast to subscribers. Each event gets its
/// time as it is published, under the lock, so times increase in the order
/// subscribers see the events.
public final class EventBus: Sendable {
    /// A subscription: the history it asked for, then what comes next.
    public struct Subscription: Sendable {
        /// Events of the history between `since` and `until` that pass the
        /// filter, oldest first (none unless `since` or `until` was given).
        public var past: [Event]
        /// Events from the subscription on, until `until` (then it ends);
        /// nil when `until` has already passed.
        public var live: AsyncStream<Event>?
    }

    private struct Subscriber {
        var filter: EventFilter
        var until: Int64?
        var continuation: AsyncStream<Event>.Continuation
    }

    private struct State {
        var history: [Event] = []
        var subscribers: [UInt64: Subscriber] = [:]
        var nextID: UInt64 = 0
        var lastTime: Int64 = 0
    }

    /// How many events the history keeps.
    public let limit: Int
    /// How many events a subscriber that does not keep up may fall behind before newer ones are dropped for it.
    static let backlog = 4096
    private let state = Mutex(State())

    public init(limit: Int = 1000) {
        self.limit = max(1, limit)
    }

    /// Publishes an event now; returns it (with its time).
    @discardableResult
    public func publish(_ kind: Event.Kind, _ action: String, id: String, attributes: [String: String] = [:]) -> Event {
        state.withLock { s in
            let time = max(Self.now(), s.lastTime + 1)
            s.lastTime = time
            let event = Event(kind: kind, action: action, actorID: id, attributes: attributes, time: time)
            if s.history.count >= limit { s.history.removeFirst(s.history.count - limit + 1) }
            s.history.append(event)
            // Yielded under the lock: every subscriber sees events in time order.
            for subscriber in s.subscribers.values where time <= subscriber.until ?? .max && subscriber.filter.includes(event) {
                subscriber.continuation.yield(event)
            }
            return event
        }
    }

    /// Subscribes: the history between `since` and `until` (nanoseconds since
    /// the epoch) that passes `filter`, and from now on the events that pass
    /// it until `until` (forever without one, or until the stream's consumer
    /// goes away). Replay and subscription are one step: nothing is missed
    /// or seen twice.
    public func subscribe(since: Int64?, until: Int64?, filter: EventFilter = EventFilter()) -> Subscription {
        let (subscription, expiry) = state.withLock { s -> (Subscription, (id: UInt64, at: Int64)?) in
            var past: [Event] = []
            if since != nil || until != nil {
                past = s.history.filter { e in
                    e.time >= (since ?? 0) && e.time <= (until ?? .max) && filter.includes(e)
                }
            }
            let now = Self.now()
            if let until, until < now { return (Subscription(past: past), nil) }
            let id = s.nextID
            s.nextID += 1
            let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingOldest(Self.backlog))
            continuation.onTermination = { [weak self] _ in self?.remove(id) }
            s.subscribers[id] = Subscriber(filter: filter, until: until, continuation: continuation)
            return (Subscription(past: past, live: stream), until.map { (id, $0) })
        }
        if let expiry {
            Task { [weak self] in
                let wait = expiry.at - Self.now()
                if wait > 0 { try? await Task.sleep(for: .nanoseconds(wait)) }
                self?.finish(expiry.id)
            }
        }
        return subscription
    }

    /// How many subscriptions are live.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ends a subscription's stream (its `until` came).
    private func finish(_ id: UInt64) {
        // Outside the lock: finishing runs onTermination, which takes it.
        state.withLock { $0.subscribers[id]?.continuation }?.finish()
    }

    private func remove(_ id: UInt64) {
        state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
    }

    /// Nanoseconds since the epoch.
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

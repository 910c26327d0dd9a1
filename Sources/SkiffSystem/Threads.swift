import Glibc

/// Runs `body` on a new detached thread (for blocking reads that must not
/// hold a thread of the cooperative pool).
public func detachThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body))
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { arg in
        let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
        box.body()
        return nil
    }, box.toOpaque())
    if rc == 0 {
        pthread_detach(thread)
    } else {
        box.release()
        body()
    }
}

/// Runs blocking work on a new thread (never on the cooperative pool, nor on
/// an actor's own thread) and awaits its result.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        detachThread { continuation.resume(returning: body()) }
    }
}

import Glibc

/// A mutex with one condition variable, for state shared between an event
/// loop and a consumer that blocks (a ByteSource read on the image store's
/// thread). Never waited on from an event loop thread.
package final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    package init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the lock.
    package func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Inside `withLock`: sleeps until `signal`, releasing the lock meanwhile.
    package func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes every waiter.
    package func signal() { pthread_cond_broadcast(condition) }
}

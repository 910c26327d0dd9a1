import Glibc

/// A serial executor on a thread of its own, for actors whose methods block
/// (file systems, syscalls, blocking reads): they then never hold one of the
/// few threads of Swift's cooperative pool.
public final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var jobs: [UnownedJob] = []   // guarded by mutex

    /// Starts the thread; it lives as long as the process.
    public init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let executor = Unmanaged<ThreadExecutor>.fromOpaque(arg!).takeRetainedValue()
            executor.run()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create: \(rc)")
        pthread_detach(thread)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(&mutex)
        jobs.append(job)
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    private func run() {
        while true {
            pthread_mutex_lock(&mutex)
            while jobs.isEmpty { pthread_cond_wait(&condition, &mutex) }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            pthread_mutex_unlock(&mutex)
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
        }
    }
}

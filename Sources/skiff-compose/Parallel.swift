import Foundation
import SkiffCLI
import SkiffCompose

/// Runs `body` for every item at once (one thread each, as docker compose acts on containers
/// in parallel); the first error is thrown once all have finished.
func inParallel<T: Sendable>(_ items: [T], _ body: @escaping @Sendable (T) throws -> Void) throws {
    let errors = ErrorList()
    DispatchQueue.concurrentPerform(iterations: items.count) { i in
        do { try body(items[i]) } catch { errors.add(error) }
    }
    if let first = errors.list.first { throw first }
}

/// Groups of the project's containers that may stop together: dependants before what they
/// depend on (services of unknown order — orphans, no file — first).
func stopLevels(_ containers: [ProjectContainer], _ project: ProjectSpec?) -> [[ProjectContainer]] {
    var depth: [String: Int] = [:]
    func level(_ name: String, _ seen: Set<String> = []) -> Int {
        if let d = depth[name] { return d }
        guard let s = project?.service(name), !seen.contains(name) else { return 0 }
        let d = 1 + (s.dependsOn.map { level($0.service, seen.union([name])) }.max() ?? 0)
        depth[name] = d
        return d
    }
    let grouped = Dictionary(grouping: containers) { project?.service($0.service) == nil ? Int.max : level($0.service) }
    return grouped.keys.sorted(by: >).map { grouped[$0]! }
}

/// Errors collected from several threads.
private final class ErrorList: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var list: [any Error] = []

    func add(_ e: any Error) {
        lock.lock()
        list.append(e)
        lock.unlock()
    }
}

/// Stops `containers` (the running ones), dependants before what they depend on, each level
/// at once; `timeout` is `-t` (nil: each container's own).
func stopInLevels(_ containers: [ProjectContainer], _ project: ProjectSpec?, host: String?, timeout: Int?) throws {
    for level in stopLevels(containers, project) {
        try inParallel(level.filter(\.isRunning)) { c in
            Console.event("Container", c.name, "Stopping")
            try DaemonConnection(host: host).call("POST", "/containers/\(c.id)/stop", query: timeout.map { [("t", String($0))] } ?? [])
            Console.event("Container", c.name, "Stopped")
        }
    }
}

import Foundation
import Testing
@testable import SkiffCompose

/// A temporary directory with files in it, removed when the test ends.
final class TempProject {
    let dir: String

    init() {
        let base = FileManager.default.temporaryDirectory.path
        dir = base + "/skiff-compose-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    @discardableResult
    func write(_ path: String, _ text: String) -> String {
        let full = dir + "/" + path
        let parent = (full as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
        return full
    }

    func options(_ files: [String] = [], env: [String: String] = [:], in sub: String? = nil) -> LoadOptions {
        var o = LoadOptions()
        o.files = files
        o.workingDirectory = sub.map { dir + "/" + $0 } ?? dir
        o.environment = env
        o.printWarnings = false
        return o
    }

    func load(_ files: [String] = [], env: [String: String] = [:], _ configure: (inout LoadOptions) -> Void = { _ in }) throws -> ComposeProject {
        var o = options(files, env: env)
        configure(&o)
        return try ComposeLoader.load(o)
    }

    /// The error message loading gives.
    func error(_ files: [String] = [], env: [String: String] = [:], _ configure: (inout LoadOptions) -> Void = { _ in }) -> String? {
        do {
            _ = try load(files, env: env, configure)
            return nil
        } catch let e as ComposeError {
            return e.description
        } catch {
            return "unexpected: \(error)"
        }
    }
}

extension ComposeValue {
    /// Path lookup: "services.web.ports" (array indices as numbers).
    func at(_ path: String) -> ComposeValue? {
        var cur: ComposeValue? = self
        for p in path.split(separator: ".") {
            if let i = Int(p), case .array(let a)? = cur {
                cur = i < a.count ? a[i] : nil
            } else {
                cur = cur?[String(p)]
            }
        }
        return cur
    }
}

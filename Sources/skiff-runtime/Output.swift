import CSkiffSpawn
import FoundationEssentials
import Glibc
import SkiffRuntime

func jsonEncoder(pretty: Bool) -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}

func printJSON<T: Encodable>(_ value: T, pretty: Bool) {
    guard let data = try? jsonEncoder(pretty: pretty).encode(value) else { return }
    print(String(decoding: data, as: UTF8.self))
}

/// Columns separated by at least two spaces, as runc's tabwriter prints them.
func printTable(_ rows: [[String]]) {
    guard let first = rows.first else { return }
    var widths = [Int](repeating: 0, count: first.count)
    for row in rows {
        for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
    }
    for row in rows {
        var line = ""
        for (i, cell) in row.enumerated() {
            line += cell
            if i < row.count - 1 { line += String(repeating: " ", count: widths[i] - cell.count + 3) }
        }
        print(line)
    }
}

func ownerName(_ uid: String) -> String {
    UInt32(uid).flatMap(Passwd.userName(uid:)) ?? uid
}

/// Runs a program and returns its stdout.
func capture(_ path: String, _ args: [String]) throws(RuntimeError) -> String {
    var pipefd: [Int32] = [-1, -1]
    guard skiff_pipe_cloexec(&pipefd) == 0 else { throw .system("ps", "pipe") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1)
    var pid: pid_t = 0
    var argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    let rc = posix_spawn(&pid, path, &actions, nil, &argv, environ)
    close(pipefd[1])
    defer { close(pipefd[0]) }
    guard rc == 0 else { throw .system("ps", "spawn \(path)", errno: rc) }
    let bytes = try FileIO.readAll(fd: pipefd[0], path: path)
    var status: Int32 = 0
    _ = waitpid(pid, &status, 0)
    return String(decoding: bytes, as: UTF8.self)
}

import CZlib
import Foundation
import Glibc
import SkiffArchive
import Testing

/// A fresh directory under /tmp, removed (after unmounting anything left mounted below it) when
/// the value goes away.
final class TempDir: @unchecked Sendable {
    let path: String
    var mounts: [String] = []

    init(_ label: String = #function, base: String = "/tmp") throws {
        let clean = label.filter { $0.isLetter || $0.isNumber }
        var template = Array("\(base)/skiff-archive-\(clean.prefix(40))-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
    }

    deinit {
        for mount in mounts.reversed() { umount2(mount, Int32(MNT_DETACH)) }
        _ = try? run(["rm", "-rf", "--one-file-system", path])
    }

    func sub(_ name: String) -> String { path + "/" + name }

    /// Makes `name` (and its parents) and returns its path.
    func dir(_ name: String) throws -> String {
        let full = sub(name)
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct RunResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a command to completion; throws unless it exits 0 (or `check` is false).
@discardableResult
func run(_ arguments: [String], cwd: String? = nil, stdin: Data? = nil, check: Bool = true) throws -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let result = RunResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
    if check, result.status != 0 {
        throw TestFailure("\(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
    }
    return result
}

/// Runs a Python 3 script with `arguments` in sys.argv[1:].
@discardableResult
func python(_ script: String, _ arguments: [String] = [], check: Bool = true) throws -> RunResult {
    try run(["python3", "-c", script] + arguments, check: check)
}

func readFile(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

func writeFile(_ path: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

/// A source reading a whole file (opened here, closed when done).
final class FileSource: ByteSource {
    let fd: Int32
    init(_ path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw TestFailure("open \(path): \(String(cString: strerror(errno)))") }
    }
    deinit { close(fd) }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var inner = FileDescriptorSource(fd: fd)
        return try inner.read(into: buffer)
    }
}

/// A sink writing a new file.
final class FileSink: ByteSink {
    let fd: Int32
    init(_ path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw TestFailure("open \(path): \(String(cString: strerror(errno)))") }
    }
    deinit { close(fd) }
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var inner = FileDescriptorSink(fd: fd)
        try inner.write(bytes)
    }
    func finish() throws {}
}

/// Builds a tar in memory with TarWriter.
func makeTar(_ build: (TarWriter<MemorySink>) throws -> Void) throws -> [UInt8] {
    let writer = TarWriter(MemorySink())
    try build(writer)
    try writer.finish()
    return writer.sink.bytes
}

/// Everything the round trips compare about one file.
struct FileFacts: Equatable, CustomStringConvertible {
    var type: UInt32
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: Int64
    var mtimeSeconds: Int
    var mtimeNanoseconds: Int
    var rdev: UInt64
    var nlink: UInt64
    var link: String
    var contents: [UInt8]
    var xattrs: [String: [UInt8]]

    var description: String {
        "type \(String(type, radix: 8)) mode \(String(mode, radix: 8)) \(uid):\(gid) size \(size) mtime \(mtimeSeconds).\(mtimeNanoseconds) rdev \(rdev) nlink \(nlink) link \(link) xattrs \(xattrs.keys.sorted())"
    }
}

/// lstat, link target, contents and xattrs of every file below `root`, by relative path.
/// `includeRootMeta` adds "." for the root itself.
func snapshot(_ root: String, skipXattr: (String) -> Bool = { _ in false }, includeDirectoryTimes: Bool = true) throws -> [String: FileFacts] {
    var result: [String: FileFacts] = [:]
    let enumerator = FileManager.default.enumerator(atPath: root)!
    while let relative = enumerator.nextObject() as? String {
        let full = root + "/" + relative
        var status = stat()
        guard lstat(full, &status) == 0 else { throw TestFailure("lstat \(full)") }
        let type = status.st_mode & S_IFMT
        var link = ""
        var contents: [UInt8] = []
        if type == S_IFLNK { link = try FileManager.default.destinationOfSymbolicLink(atPath: full) }
        if type == S_IFREG { contents = try readFile(full) }
        var xattrs: [String: [UInt8]] = [:]
        let size = llistxattr(full, nil, 0)
        if size > 0 {
            var names = [CChar](repeating: 0, count: size)
            _ = llistxattr(full, &names, size)
            for name in names.split(separator: 0).map({ String(cString: Array($0) + [0]) }) where !skipXattr(name) {
                let valueSize = lgetxattr(full, name, nil, 0)
                var value = [UInt8](repeating: 0, count: max(valueSize, 0))
                _ = value.withUnsafeMutableBytes { lgetxattr(full, name, $0.baseAddress, valueSize) }
                xattrs[name] = value
            }
        }
        let isDirectory = type == S_IFDIR
        result[relative] = FileFacts(
            type: type, mode: status.st_mode & 0o7777, uid: status.st_uid, gid: status.st_gid,
            size: isDirectory ? 0 : Int64(status.st_size),
            mtimeSeconds: isDirectory && !includeDirectoryTimes ? 0 : status.st_mtim.tv_sec,
            mtimeNanoseconds: isDirectory && !includeDirectoryTimes ? 0 : status.st_mtim.tv_nsec,
            rdev: UInt64(status.st_rdev), nlink: isDirectory ? 0 : UInt64(status.st_nlink), link: link,
            contents: contents, xattrs: xattrs)
    }
    return result
}

/// Expects two snapshots to be equal, naming each path that differs.
func expectSameTrees(_ expected: [String: FileFacts], _ actual: [String: FileFacts], sourceLocation: SourceLocation = #_sourceLocation) {
    let missing = Set(expected.keys).subtracting(actual.keys).sorted()
    let extra = Set(actual.keys).subtracting(expected.keys).sorted()
    #expect(missing.isEmpty, "missing: \(missing)", sourceLocation: sourceLocation)
    #expect(extra.isEmpty, "unexpected: \(extra)", sourceLocation: sourceLocation)
    for (path, facts) in expected.sorted(by: { $0.key < $1.key }) {
        guard let other = actual[path] else { continue }
        #expect(facts == other, "\(path): expected \(facts), got \(other)", sourceLocation: sourceLocation)
    }
}

let isRoot = geteuid() == 0

/// Sets an xattr or fails the test.
func setXattr(_ path: String, _ name: String, _ value: [UInt8]) throws {
    let status = value.withUnsafeBytes { lsetxattr(path, name, $0.baseAddress, $0.count, 0) }
    if status != 0 { throw TestFailure("lsetxattr \(path) \(name): \(String(cString: strerror(errno)))") }
}

/// Sets an mtime with nanoseconds (not following symlinks).
func setMtime(_ path: String, seconds: Int, nanoseconds: Int) throws {
    var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
    if utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw TestFailure("utimensat \(path)") }
}

/// Applies a layer file.
@discardableResult
func applyFile(_ layer: String, to directory: String, mode: ApplyMode, options: ExtractOptions = ExtractOptions()) throws -> LayerApplyResult {
    try LayerApplier.apply(layer: FileDescriptorSourceBox(try FileSource(layer)), to: directory, mode: mode, options: options)
}

/// Applies an in-memory layer.
@discardableResult
func applyBytes(_ bytes: [UInt8], to directory: String, mode: ApplyMode = .merged, options: ExtractOptions = ExtractOptions()) throws -> LayerApplyResult {
    try LayerApplier.apply(layer: MemorySource(bytes), to: directory, mode: mode, options: options)
}

/// A struct source over a FileSource reference.
struct FileDescriptorSourceBox: ByteSource {
    let file: FileSource
    init(_ file: FileSource) { self.file = file }
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try file.read(into: buffer) }
}

/// Entries of a tar stream (compressed or not) with their contents.
func readAll(_ bytes: [UInt8]) throws -> [(TarEntry, [UInt8])] {
    let reader = TarReader(try DecompressingSource(MemorySource(bytes)))
    var result: [(TarEntry, [UInt8])] = []
    while let entry = try reader.next() {
        var contents: [UInt8] = []
        while true {
            let chunk = try reader.contentChunk()
            if chunk.isEmpty { break }
            contents.append(contentsOf: chunk)
        }
        result.append((entry, contents))
    }
    return result
}

// skiff-bench: drives the image store for bench/ scripts (timings are taken
// by the scripts, around whole invocations, as for the peers).
//
//   skiff-bench load ROOT ARCHIVE            load a docker/OCI archive into ROOT
//   skiff-bench unpack ROOT DIR              apply every layer of the first image in store ROOT onto DIR (merged)
//   skiff-bench prepare ROOT IMAGE N         prepare, mount, unmount and remove N container roots; prints ms each
import Glibc
import SkiffArchive
import SkiffImage
import SkiffOCI
import SkiffSnapshot

@main
struct SkiffBench {
    static func main() async {
        let args = Array(CommandLine.arguments.dropFirst())
        do {
            switch args.first {
            case "load" where args.count == 3:
                let store = try ImageStore(root: args[1])
                let fd = open(args[2], O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { fail("open \(args[2])") }
                let result = try await store.load(FileDescriptorSource(fd: fd))
                print((result.tags + result.untaggedIDs.map(\.description)).joined(separator: " "))
            case "unpack" where args.count == 3:
                // The layers of the first image in store ROOT, applied in order.
                let store = try ImageStore(root: args[1])
                guard let image = try await store.list().first else { fail("no image in \(args[1])") }
                mkdir(args[2], 0o755)
                for layer in image.layers {
                    let fd = try store.content.open(layer.blob.digest)
                    try LayerApplier.apply(layer: FileDescriptorSource(fd: fd), to: args[2], mode: .merged)
                    close(fd)
                }
            case "prepare" where args.count == 4:
                let store = try ImageStore(root: args[1])
                let image = try await store.resolve(args[2])
                let target = args[1] + "/bench-rootfs"
                mkdir(target, 0o755)
                for i in 0..<(Int(args[3]) ?? 1) {
                    var t0 = timespec(), t1 = timespec()
                    clock_gettime(CLOCK_MONOTONIC, &t0)
                    try await store.prepareRootfs(for: image, key: "bench-\(i)", at: target)
                    clock_gettime(CLOCK_MONOTONIC, &t1)
                    store.removeRootfs(key: "bench-\(i)", at: target)
                    print(Double(t1.tv_sec - t0.tv_sec) * 1000 + Double(t1.tv_nsec - t0.tv_nsec) / 1e6)
                }
                rmdir(target)
            default:
                fail("usage: skiff-bench load ROOT ARCHIVE | unpack ROOT DIR | prepare ROOT IMAGE N")
            }
        } catch {
            fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        _ = "skiff-bench: \(message)\n".withCString { write(2, $0, strlen($0)) }
        exit(1)
    }
}

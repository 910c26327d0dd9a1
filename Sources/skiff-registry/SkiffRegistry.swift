import Glibc
import SkiffHTTP
import SkiffRegistryServer

// skiff-registry: the registry server behind `skiff registry serve`.
//
//     skiff-registry serve [--root DIR] [--address ADDR] [--port PORT] [--debug]
//                          [--htpasswd FILE [--anonymous-pull]] [--read-only]
//                          [--tls-cert FILE --tls-key FILE]
//
// Prints `listening on ADDR:PORT` on stdout once it accepts connections
// (with --port 0, the port the system chose).

let usage = """
    Usage: skiff-registry serve [OPTIONS]
           skiff-registry gc [--root DIR] [--dry-run]

    serve: serve an OCI distribution (Docker registry v2) API
    gc:    remove the blobs no manifest of any repository names (run it while no server runs on the root)

    Options:
          --root DIR       where blobs, manifests and tags are kept (default /var/lib/skiff-registry)
          --address ADDR   address to listen on (default 127.0.0.1)
      -p, --port PORT      port to listen on (default 5000; 0 picks a free one)
          --htpasswd FILE  require basic auth by the users of this htpasswd file (bcrypt: htpasswd -B)
          --anonymous-pull with --htpasswd: let GET and HEAD through without credentials
          --read-only      refuse every write (405 UNSUPPORTED)
          --tls-cert FILE  serve HTTPS with this PEM certificate (chain, leaf first)...
          --tls-key FILE   ...and this PEM private key
          --debug          log every request
          --dry-run        (gc) print what would be removed, remove nothing

    """

/// Writes `text` to a file descriptor (stdout 1, stderr 2).
func put(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
        offset += n
    }
}

func fail(_ message: String) -> Never {
    put(2, "skiff-registry: \(message)\n")
    exit(2)
}

struct Options {
    var root = "/var/lib/skiff-registry"
    var address = "127.0.0.1"
    var port = 5000
    var debug = false
    var dryRun = false
    var htpasswd: String?
    var anonymousPull = false
    var readOnly = false
    var tlsCert: String?
    var tlsKey: String?

    init(_ arguments: [String]) {
        var index = 0
        func value(_ flag: String) -> String {
            index += 1
            guard index < arguments.count else { fail("flag needs an argument: \(flag)") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            var flag = argument
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            switch flag {
            case "--root": root = inline ?? value(flag)
            case "--address", "--addr": address = inline ?? value(flag)
            case "-p", "--port":
                let text = inline ?? value(flag)
                guard let number = Int(text), (0...65535).contains(number) else { fail("invalid port: \(text)") }
                port = number
            case "--debug": debug = true
            case "--htpasswd": htpasswd = inline ?? value(flag)
            case "--anonymous-pull": anonymousPull = true
            case "--read-only": readOnly = true
            case "--tls-cert": tlsCert = inline ?? value(flag)
            case "--tls-key": tlsKey = inline ?? value(flag)
            case "--dry-run": dryRun = true
            case "-h", "--help":
                put(1, usage)
                exit(0)
            default: fail("unknown flag: \(argument)")
            }
            index += 1
        }
        if (tlsCert == nil) != (tlsKey == nil) { fail("--tls-cert and --tls-key go together") }
        if anonymousPull && htpasswd == nil { fail("--anonymous-pull needs --htpasswd") }
    }
}

@main
struct SkiffRegistry {
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        guard let command = arguments.first else {
            put(2, usage)
            exit(2)
        }
        arguments.removeFirst()
        switch command {
        case "serve", "gc": break
        case "-h", "--help", "help":
            put(1, usage)
            exit(0)
        default:
            fail("unknown command \"\(command)\" (expected serve or gc)")
        }
        let options = Options(arguments)
        if command == "gc" {
            do {
                let storage = try RegistryStorage(root: options.root)
                let report = storage.collectGarbage(dryRun: options.dryRun)
                for digest in report.removed { put(1, (options.dryRun ? "would remove " : "removed ") + "\(digest)\n") }
                put(1, "\(report.removed.count) blobs (\(report.removedBytes) bytes) \(options.dryRun ? "to remove" : "removed"), \(report.kept) kept\n")
                exit(0)
            } catch {
                fail("gc on \(options.root): \(error)")
            }
        }
        let server: RegistryServer
        let bound: Int
        let log = ServerLogger(debug: options.debug)
        var access = AccessPolicy(anonymousPull: options.anonymousPull, readOnly: options.readOnly)
        if let path = options.htpasswd {
            do {
                access.htpasswd = try Htpasswd(path: path, log: log)
            } catch {
                fail("\(error)")
            }
        }
        let tls = options.tlsCert.flatMap { cert in options.tlsKey.map { (certificate: cert, key: $0) } }
        do {
            server = try RegistryServer(root: options.root, log: log, access: access, tls: tls)
            bound = try await server.listen(host: options.address, port: options.port)
        } catch {
            fail("cannot serve on \(options.address):\(options.port): \(error)")
        }
        let shown = options.address.contains(":") ? "[\(options.address)]" : options.address
        put(1, "listening on \(shown):\(bound)\n")
        while true {
            try? await Task.sleep(for: .seconds(3600))
        }
        _ = server
    }
}

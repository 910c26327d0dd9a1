import Glibc

/// `skiff registry serve` and `skiff registry gc`: exec `skiff-registry serve`
/// (or `gc`), found next to skiff's own executable or else in PATH, so the
/// CLI stays free of the server's libraries.
enum RegistryServeCommand {
    static let spec = CommandSpec(
        name: "serve", usage: "[OPTIONS]", summary: "Serve images over the OCI distribution API (a registry)",
        flags: [
            .value("root", .string, "Directory where blobs, manifests and tags are kept", default: "/var/lib/skiff-registry"),
            .value("address", .string, "Address to listen on", default: "127.0.0.1"),
            .value("port", "p", .uint16, "Port to listen on (0 picks a free one)", default: "5000"),
            .value("htpasswd", .string, "Users allowed in: an htpasswd file of bcrypt entries (basic auth)"),
            .bool("anonymous-pull", "With --htpasswd, let anyone pull; writes still need a user"),
            .bool("read-only", "Refuse every write"),
            .value("tls-cert", .string, "Serve HTTPS with this certificate (PEM)"),
            .value("tls-key", .string, "The certificate's private key (PEM)"),
            .bool("debug", "Log every request"),
        ],
        arguments: .none, run: { try run($0, command: "serve") })

    static let gc = CommandSpec(
        name: "gc", usage: "[OPTIONS]",
        summary: "Remove the blobs no manifest names (stop the registry first)",
        flags: [
            .value("root", .string, "Directory where blobs, manifests and tags are kept", default: "/var/lib/skiff-registry"),
            .bool("dry-run", "Print what would be removed, remove nothing"),
        ],
        arguments: .none, run: { try run($0, command: "gc") })

    static func run(_ inv: Invocation, command: String) throws {
        guard let server = HelperExecutable.locate("skiff-registry") else {
            throw CLIError("skiff-registry was not found next to skiff or in PATH")
        }
        var argv = [server, command]
        for name in ["root", "address", "port", "htpasswd", "tls-cert", "tls-key"] {
            if let value = inv.flags.string(name) { argv += ["--\(name)", value] }
        }
        for name in ["anonymous-pull", "read-only", "debug", "dry-run"] where inv.flags.bool(name) { argv.append("--\(name)") }
        try HelperExecutable.exec(argv)
    }
}

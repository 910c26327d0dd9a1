/// A command as the docker CLI declares it: name, usage line, flags, argument count,
/// and what it does.
struct CommandSpec: Sendable {
    /// How many positional arguments the command takes (cobra's validators).
    enum Arguments: Sendable {
        case any
        case none
        case exactly(Int)
        case atLeast(Int)
        case atMost(Int)
        case between(Int, Int)
    }

    let name: String
    /// Other names in the same group (`container ls` is also `list` and `ps`).
    var aliases: [String] = []
    /// The usage after the command's path: "[OPTIONS] CONTAINER [CONTAINER...]".
    let usage: String
    let summary: String
    /// The help's longer description, where docker has one (else the summary).
    var description: String?
    /// Every path the command is reachable by, for the help's "Aliases:" section.
    var aliasPaths: [String] = []
    var flags: [Flag] = []
    /// Whether flags may follow positional arguments (false for run, create, exec).
    var interspersed = true
    /// Whether `-h` means help (not for run and create, where it is --hostname).
    var shortHelp = true
    var arguments: Arguments = .any
    let run: @Sendable (Invocation) throws -> Void
}

/// One run of a command: its path (`skiff container ls`), parsed flags, arguments and
/// the session's daemon connection.
final class Invocation {
    let path: String
    let spec: CommandSpec
    let flags: ParsedFlags
    let session: Session

    init(path: String, spec: CommandSpec, flags: ParsedFlags, session: Session) {
        self.path = path
        self.spec = spec
        self.flags = flags
        self.session = session
    }

    var args: [String] { flags.args }

    /// The daemon's API client (created on first use).
    var client: APIClient {
        get throws { try session.client() }
    }
}

/// The process-wide options: which daemon, and the client talking to it.
final class Session {
    private let hostOption: String?
    private let environment: [String: String]
    private var api: APIClient?

    init(hostOption: String?, environment: [String: String]) {
        self.hostOption = hostOption
        self.environment = environment
    }

    /// The daemon's address: -H, else SKIFF_HOST, else DOCKER_HOST, else the default socket
    /// (the only one skiff starts the daemon for).
    func client() throws -> APIClient {
        if let api { return api }
        let chosen = hostOption ?? environment["SKIFF_HOST"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["DOCKER_HOST"].flatMap { $0.isEmpty ? nil : $0 }
        let address = try chosen.map { try DaemonAddress(parsing: $0) } ?? .default
        let pinned = environment["DOCKER_API_VERSION"].flatMap(APIVersion.init)
        let client = APIClient(
            address: address, launcher: chosen == nil ? DaemonLauncher.forCurrentProcess() : nil, version: pinned)
        api = client
        return client
    }
}

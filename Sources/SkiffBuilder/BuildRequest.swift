/// One build, as `POST /build` asks for it.
public struct BuildRequest: Sendable {
    /// The build context, unpacked (the daemon's own temporary copy).
    public var contextDirectory: String
    /// The Dockerfile's path inside the context.
    public var dockerfile = "Dockerfile"
    /// Names for the result (`name:tag`).
    public var tags: [String] = []
    /// `--build-arg`s with a value.
    public var buildArguments: [String: String] = [:]
    /// `--build-arg`s named without a value (the client's environment lacked them): ARGs keep
    /// their defaults, but the names count as given for the "not consumed" warning.
    public var namedArguments: Set<String> = []
    /// The stage to build; nil: the last.
    public var target: String?
    /// `--label`s, added to the result as a last `LABEL` step (as the classic builder does).
    public var labels: [String: String] = [:]
    /// Build every step, ignoring (and not recording over) the cache.
    public var noCache = false
    /// RUN steps' network: `default` (the bridge), `none`, `host`, or a network's name.
    public var networkMode = "default"

    public init(contextDirectory: String) {
        self.contextDirectory = contextDirectory
    }
}

/// What a build reports as it goes: the classic builder's progress, in order.
public enum BuildEvent: Sendable, Equatable {
    /// `Step 2/5 : RUN make`.
    case step(number: Int, total: Int, instruction: String)
    /// The step's result came from the cache.
    case usingCache
    /// A RUN step's container started.
    case runningIn(containerID: String)
    /// Output of a RUN step, as the command wrote it (stdout and stderr).
    case output([UInt8])
    /// A step's container is gone.
    case removedContainer(containerID: String)
    /// The image a step ended with.
    case stepImage(id: String)
    /// A note between steps (`# Executing 2 build triggers`).
    case message(String)
    /// The build's result, then its names.
    case built(id: String)
    case tagged(name: String)
}

/// A failed build: what failed, as the client shows it, and the failing command's exit
/// code when a RUN failed.
public struct BuildError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var exitCode: Int32?

    public init(_ message: String, exitCode: Int32? = nil) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}

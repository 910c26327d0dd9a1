/// One Dockerfile instruction, typed, with the source it came from. Values are as
/// written: variables are substituted by `expanded(...)` (see Instruction+Expand),
/// per stage, with that stage's ARG and ENV scope.
public struct Instruction: Sendable, Equatable {
    /// The keyword as written (`RUN`, `run`).
    public var keyword: String
    /// The instruction's text, continuation lines joined and trimmed (BuildKit's
    /// `String()`); heredoc bodies are in `heredocs`. The build cache keys on this.
    public var original: String
    /// The physical lines, 1-based, heredoc bodies included.
    public var lines: ClosedRange<Int>
    /// Heredoc bodies read after the line (RUN, COPY, ADD, ONBUILD of those).
    public var heredocs: [Heredoc]
    public var kind: Kind

    public init(keyword: String, original: String, lines: ClosedRange<Int>, heredocs: [Heredoc] = [], kind: Kind) {
        self.keyword = keyword
        self.original = original
        self.lines = lines
        self.heredocs = heredocs
        self.kind = kind
    }

    public enum Kind: Sendable, Equatable {
        case from(From)
        case run(Run)
        case cmd(CommandForm)
        case entrypoint(CommandForm)
        case shell([String])
        case label([KeyValue])
        case env([KeyValue])
        case maintainer(String)
        case expose([String])
        case add(Add)
        case copy(Copy)
        case volume([String])
        case user(String)
        case workdir(String)
        case arg([ArgDefinition])
        /// The trigger, as it goes into the image config's `OnBuild` (see `OnBuildTrigger`).
        case onbuild(String)
        case stopSignal(String)
        case healthcheck(Healthcheck)
    }
}

/// `FROM [--platform=p] base [AS name]`.
public struct From: Sendable, Equatable {
    /// The base image or stage, unexpanded (global ARGs apply).
    public var base: String
    /// The stage name, lowercased; nil when the stage has none.
    public var name: String?
    /// `--platform`, unexpanded.
    public var platform: String?

    public init(base: String, name: String? = nil, platform: String? = nil) {
        self.base = base
        self.name = name
        self.platform = platform
    }
}

/// The exec form (`["a", "b"]`, run as is) or the shell form (a string handed to the
/// shell: `SHELL`, or `/bin/sh -c`).
public enum CommandForm: Sendable, Equatable {
    case exec([String])
    case shell(String)
}

/// `RUN [--mount=...] [--network=...] [--security=...] command`.
public struct Run: Sendable, Equatable {
    public var command: CommandForm
    /// The `--mount` values as written; `mounts(expanding:)` types them once the
    /// stage's variables are known, as BuildKit does at dispatch.
    public var mounts: [String]
    public var network: NetworkMode
    public var security: SecurityMode
    public var devices: [RunDevice]

    public init(command: CommandForm, mounts: [String] = [], network: NetworkMode = .default, security: SecurityMode = .sandbox, devices: [RunDevice] = []) {
        self.command = command
        self.mounts = mounts
        self.network = network
        self.security = security
        self.devices = devices
    }

    public enum NetworkMode: String, Sendable, Equatable, CaseIterable {
        case `default`, none, host
    }

    public enum SecurityMode: String, Sendable, Equatable, CaseIterable {
        case sandbox, insecure
    }
}

/// `RUN --device=name[,required]` (BuildKit's CDI devices).
public struct RunDevice: Sendable, Equatable {
    public var name: String
    public var required: Bool

    public init(name: String, required: Bool = false) {
        self.name = name
        self.required = required
    }
}

/// A LABEL or ENV pair, unexpanded (quotes still in place).
public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// An `ARG name[=default]`, unexpanded.
public struct ArgDefinition: Sendable, Equatable {
    public var name: String
    public var defaultValue: String?

    public init(_ name: String, _ defaultValue: String? = nil) {
        self.name = name
        self.defaultValue = defaultValue
    }
}

/// A COPY or ADD source: a path (or URL) of the context or `--from` stage, or a
/// heredoc written as a file named after its delimiter.
public enum CopySource: Sendable, Equatable {
    case path(String)
    case inline(InlineFile)
}

/// A heredoc source of COPY/ADD, leading tabs already stripped for `<<-`.
public struct InlineFile: Sendable, Equatable {
    public var name: String
    public var data: String
    /// Whether variables in `data` are substituted (the delimiter was not quoted).
    public var expand: Bool

    public init(name: String, data: String, expand: Bool) {
        self.name = name
        self.data = data
        self.expand = expand
    }
}

/// `ADD [--chown] [--chmod] [--link] [--keep-git-dir] [--checksum] [--unpack] [--exclude]... src... dest`.
public struct Add: Sendable, Equatable {
    public var sources: [CopySource]
    public var destination: String
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    /// Set only when the flag was given.
    public var keepGitDir: Bool?
    public var checksum: String?
    /// Set only when the flag was given.
    public var unpack: Bool?
    public var excludes: [String]

    public init(sources: [CopySource], destination: String, chown: String? = nil, chmod: String? = nil, link: Bool = false,
                keepGitDir: Bool? = nil, checksum: String? = nil, unpack: Bool? = nil, excludes: [String] = []) {
        self.sources = sources
        self.destination = destination
        self.chown = chown
        self.chmod = chmod
        self.link = link
        self.keepGitDir = keepGitDir
        self.checksum = checksum
        self.unpack = unpack
        self.excludes = excludes
    }
}

/// `COPY [--from] [--chown] [--chmod] [--link] [--parents] [--exclude]... src... dest`.
public struct Copy: Sendable, Equatable {
    public var sources: [CopySource]
    public var destination: String
    /// A stage name, a stage index or an image; never expanded.
    public var from: String?
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    public var parents: Bool
    public var excludes: [String]

    public init(sources: [CopySource], destination: String, from: String? = nil, chown: String? = nil, chmod: String? = nil,
                link: Bool = false, parents: Bool = false, excludes: [String] = []) {
        self.sources = sources
        self.destination = destination
        self.from = from
        self.chown = chown
        self.chmod = chmod
        self.link = link
        self.parents = parents
        self.excludes = excludes
    }
}

/// `HEALTHCHECK NONE` or `HEALTHCHECK [options] CMD command`, as the image config
/// holds it: durations in nanoseconds, 0 for "not set".
public struct Healthcheck: Sendable, Equatable {
    /// `["NONE"]`, `["CMD", args...]` or `["CMD-SHELL", command]`.
    public var test: [String]
    public var interval: Int64
    public var timeout: Int64
    public var startPeriod: Int64
    public var startInterval: Int64
    public var retries: Int

    public init(test: [String], interval: Int64 = 0, timeout: Int64 = 0, startPeriod: Int64 = 0, startInterval: Int64 = 0, retries: Int = 0) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.startInterval = startInterval
        self.retries = retries
    }
}

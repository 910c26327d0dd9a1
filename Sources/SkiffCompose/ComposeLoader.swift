/// What `skiff compose` was told about where its project is.
public struct LoadOptions: Sendable {
    /// `-f` files in order (`-` is stdin); empty: discover compose.yaml, compose.yml,
    /// docker-compose.yml, docker-compose.yaml in the working directory, then its parents.
    public var files: [String] = []
    /// `-p`; else COMPOSE_PROJECT_NAME; else the top-level `name`; else the project directory's name.
    public var projectName: String?
    /// `--project-directory`; else the first file's directory.
    public var projectDirectory: String?
    /// `--env-file` (several); else `.env` in the project directory if present.
    public var envFiles: [String] = []
    /// `--profile` (several), plus COMPOSE_PROFILES.
    public var profiles: [String] = []
    /// The process environment (it wins over .env files for interpolation).
    public var environment: [String: String] = [:]
    /// The directory relative paths in `files` are read from.
    public var workingDirectory: String = "."
    /// Services named on the command line: they and their depends_on closure are enabled
    /// whatever their profiles.
    public var services: [String] = []
    /// Print docker compose's warnings (unset variables) to stderr as they happen.
    public var printWarnings: Bool = true
    /// Keep top-level networks, volumes, secrets and configs no enabled service uses
    /// (`--all`); by default they are dropped, as docker compose does.
    public var keepUnusedResources: Bool = false
    /// What `-` reads; nil: the process's standard input.
    public var stdin: String?

    public init() {}
}

/// A loaded project: its name, directory and canonical model (see `ComposeLoader.load`).
public struct ComposeProject: Sendable {
    public var name: String
    public var workingDirectory: String
    /// The files read, absolute.
    public var files: [String]
    /// The merged, interpolated, validated and normalised model (`docker compose config`'s shapes).
    public var model: ComposeValue
    /// The environment interpolation used (the env files under the process environment).
    public var environment: [String: String]
    /// Warnings given while loading (`The "X" variable is not set. Defaulting to a blank string.`).
    public var warnings: [String] = []
}

/// A Dockerfile that cannot be parsed, or an instruction that cannot be expanded or
/// resolved: what is wrong in BuildKit's wording, and the lines it is about.
public struct DockerfileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// BuildKit's message, e.g. `unknown instruction: RUNN (did you mean RUN?)`.
    public let message: String
    /// The physical lines (1-based) of the instruction at fault; nil when the error is
    /// about the file as a whole (`dockerfile contains no stages to build`).
    public let lines: ClosedRange<Int>?

    public init(_ message: String, lines: ClosedRange<Int>?) {
        self.message = message
        self.lines = lines
    }

    init(_ message: String, line: Int) {
        self.init(message, lines: line...line)
    }

    /// `dockerfile parse error on line 3: unknown instruction: RUNN`.
    public var description: String {
        guard let lines else { return message }
        return "dockerfile parse error on line \(lines.lowerBound): \(message)"
    }
}

/// A variable substitution that failed, in BuildKit's wording
/// (`failed to process "${X:?}": X: is not allowed to be unset`).
public struct ExpansionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

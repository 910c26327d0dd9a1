/// A seccomp config or profile that could not be used, with the field that is wrong.
public struct SeccompError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Dotted path of the offending field (`linux.seccomp.syscalls[3].action`, `profile.archMap`).
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { field.isEmpty ? problem : "\(field): \(problem)" }
}

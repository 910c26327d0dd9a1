/// A parsed Dockerfile: its parser directives, the ARGs before the first FROM, and
/// its stages with their typed instructions, as BuildKit's `parser.Parse` and
/// `instructions.Parse` read it (the same accepted syntax, results and messages).
public struct Dockerfile: Sendable, Equatable {
    public var directives: [ParserDirective]
    /// The escape character (`\`, or `` ` `` from `# escape=`); variable expansion uses it.
    public var escape: Unicode.Scalar
    /// What BuildKit warns about while accepting it.
    public var warnings: [DockerfileWarning]
    /// ARG instructions before the first FROM: the global scope, usable in FROM only.
    public var globalArguments: [Instruction]
    public var stages: [Stage]

    public init(parsing text: String) throws(DockerfileError) {
        try self.init(parsing: Array(text.utf8))
    }

    public init(parsing bytes: [UInt8]) throws(DockerfileError) {
        let syntax = try DockerfileSyntax(parsing: bytes)
        directives = syntax.directives
        escape = syntax.escape
        warnings = syntax.warnings
        globalArguments = []
        stages = []
        for raw in syntax.instructions {
            let instruction: Instruction
            do {
                instruction = try Instruction(raw)
            } catch {
                throw DockerfileError(error.message, lines: raw.lines)
            }
            switch instruction.kind {
            case .arg where stages.isEmpty:
                globalArguments.append(instruction)
            case .from(let from):
                stages.append(Stage(index: stages.count, from: from, original: instruction.original, lines: instruction.lines))
            default:
                guard !stages.isEmpty else { throw DockerfileError("no build stage in current context", lines: raw.lines) }
                stages[stages.count - 1].instructions.append(instruction)
            }
        }
        if stages.isEmpty { throw DockerfileError("dockerfile contains no stages to build", lines: nil) }
    }

    /// The value of a parser directive (`syntax`, `escape`, `check`), if present.
    public func directive(_ name: String) -> String? {
        directives.first { $0.name == name }?.value
    }

    /// An image's ONBUILD trigger (as its config stores it) parsed for a build that uses
    /// the image as its base: BuildKit parses it as a Dockerfile of its own (heredocs
    /// included) that must hold exactly one instruction, and not FROM.
    public static func trigger(_ expression: String) throws(DockerfileError) -> Instruction {
        let syntax = try DockerfileSyntax(parsing: Array(expression.utf8))
        guard syntax.instructions.count == 1, let raw = syntax.instructions.first else {
            throw DockerfileError("onbuild trigger should be a single expression", lines: nil)
        }
        let instruction: Instruction
        do {
            instruction = try Instruction(raw)
        } catch {
            throw DockerfileError(error.message, lines: raw.lines)
        }
        if case .from = instruction.kind {
            throw DockerfileError("FROM isn't allowed as an ONBUILD trigger", lines: raw.lines)
        }
        return instruction
    }
}

/// A build stage: its FROM and the instructions up to the next FROM.
public struct Stage: Sendable, Equatable {
    /// The stage's position, as `COPY --from=<index>` counts.
    public var index: Int
    public var from: From
    /// The FROM line's text and lines.
    public var original: String
    public var lines: ClosedRange<Int>
    public var instructions: [Instruction]

    public init(index: Int, from: From, original: String, lines: ClosedRange<Int>, instructions: [Instruction] = []) {
        self.index = index
        self.from = from
        self.original = original
        self.lines = lines
        self.instructions = instructions
    }

    /// The stage's name (lowercased), if it has one.
    public var name: String? { from.name }
}

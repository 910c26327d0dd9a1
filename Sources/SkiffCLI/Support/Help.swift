/// Help texts in the docker CLI's layout.
enum Help {
    /// `skiff CMD --help`.
    static func command(path: String, spec: CommandSpec) -> String {
        var out = "Usage:  \(path) \(spec.usage)\n\n\(spec.summary)\n"
        if !spec.aliasPaths.isEmpty {
            out += "\nAliases:\n  " + spec.aliasPaths.joined(separator: ", ") + "\n"
        }
        let visible = spec.flags.filter { !$0.hidden }
        if !visible.isEmpty {
            out += "\nOptions:\n" + flagTable(visible)
        }
        return out
    }

    /// pflag's flag list: "  -a, --all   Show all..." with the help column aligned.
    static func flagTable(_ flags: [Flag]) -> String {
        let sorted = flags.sorted { $0.name < $1.name }
        let heads = sorted.map { flag -> String in
            var head = flag.short.map { "  -\($0), --\(flag.name)" } ?? "      --\(flag.name)"
            if let type = flag.valueType { head += " " + type.usageName }
            return head
        }
        let width = (heads.map(\.count).max() ?? 0) + 3
        var out = ""
        for (flag, head) in zip(sorted, heads) {
            var help = flag.help
            if let d = flag.defaultText { help += " (default \(d))" }
            let lines = wrap(help, width: max(20, 80 - width))
            out += head + String(repeating: " ", count: width - head.count) + lines[0] + "\n"
            for line in lines.dropFirst() { out += String(repeating: " ", count: width) + line + "\n" }
        }
        return out
    }

    /// A management command's help: its subcommands.
    static func group(path: String, summary: String, commands: [CommandSpec]) -> String {
        var out = "Usage:  \(path) COMMAND\n\n\(summary)\n\nCommands:\n"
        for c in commands.sorted(by: { $0.name < $1.name }) {
            out += "  " + c.name.padding(to: 12) + c.summary + "\n"
        }
        return out + "\nRun '\(path) COMMAND --help' for more information on a command.\n"
    }

    /// `skiff --help`.
    static func root(commands: [CommandSpec], groups: [(name: String, summary: String)]) -> String {
        var out = "Usage:  skiff [OPTIONS] COMMAND\n\nA Docker-compatible container engine\n\nCommands:\n"
        for c in commands.sorted(by: { $0.name < $1.name }) {
            out += "  " + c.name.padding(to: 12) + c.summary + "\n"
        }
        out += "\nManagement Commands:\n"
        for g in groups { out += "  " + g.name.padding(to: 12) + g.summary + "\n" }
        out += "\nGlobal Options:\n" + flagTable(GlobalOptions.flags.filter { !$0.hidden })
        return out + "\nRun 'skiff COMMAND --help' for more information on a command.\n"
    }

    private static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                if !line.isEmpty && line.count + 1 + word.count > width {
                    lines.append(line)
                    line = ""
                }
                line += (line.isEmpty ? "" : " ") + word
            }
            lines.append(line)
        }
        return lines.isEmpty ? [""] : lines
    }
}

extension String {
    /// Left-aligned in `width` columns (never cut).
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

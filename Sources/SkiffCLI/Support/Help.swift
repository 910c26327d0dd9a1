/// Help texts in the docker CLI's layout.
enum Help {
    /// `skiff CMD --help`.
    static func command(path: String, spec: CommandSpec) -> String {
        var out = "Usage:  \(path) \(spec.usage)\n\n\(spec.description ?? spec.summary)\n"
        if !spec.aliasPaths.isEmpty {
            out += "\nAliases:\n  " + spec.aliasPaths.joined(separator: ", ") + "\n"
        }
        let visible = spec.flags.filter { !$0.hidden }
        if !visible.isEmpty {
            out += "\nOptions:\n" + flagTable(visible)
        }
        return out
    }

    /// pflag's FlagUsagesWrapped as docker calls it: "  -a, --all   Show all...", the help
    /// column aligned and wrapped to `columns`: the width of the terminal on stdin (80
    /// without one), less one.
    static func flagTable(_ flags: [Flag], columns: Int = (Terminal.size(0)?.columns ?? 80) - 1) -> String {
        let sorted = flags.sorted { $0.name < $1.name }
        let heads = sorted.map { flag -> String in
            var head = flag.short.map { "  -\($0), --\(flag.name)" } ?? "      --\(flag.name)"
            if let type = flag.valueType { head += " " + type.usageName }
            return head
        }
        let width = (heads.map(\.utf8.count).max() ?? 0) + 3
        var out = ""
        for (flag, head) in zip(sorted, heads) {
            var help = flag.help
            if let d = flag.defaultText { help += " (default \(d))" }
            out += head + String(repeating: " ", count: width - head.utf8.count) + wrap(help, indent: width, columns: columns) + "\n"
        }
        while out.last == " " || out.last == "\n" { out.removeLast() }
        return out + "\n"
    }

    /// pflag's wrap: text in the columns from `indent` to `columns`, breaking at the last
    /// blank that fits (5 columns of slop for a final short word), continuation lines indented.
    private static func wrap(_ text: String, indent: Int, columns: Int) -> String {
        var indent = indent
        var room = columns - indent
        var out = ""
        if room < 24 {
            indent = 16
            room = columns - indent
            out = "\n" + String(repeating: " ", count: indent)
        }
        let pad = "\n" + String(repeating: " ", count: indent)
        if room < 24 { return out + text.replacingOccurrences(of: "\n", with: pad) }
        let slop = 5
        room -= slop
        func split(_ s: [UInt8]) -> ([UInt8], [UInt8]) {
            if room + slop > s.count { return (s, []) }
            guard let w = s[..<room].lastIndex(where: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A }), w > 0 else { return (s, []) }
            if let nl = s[..<room].lastIndex(of: 0x0A), nl > 0, nl < w { return (Array(s[..<nl]), Array(s[(nl + 1)...])) }
            return (Array(s[..<w]), Array(s[(w + 1)...]))
        }
        var rest = Array(text.utf8)
        var first = true
        repeat {
            let (line, remainder) = split(rest)
            out += (first ? "" : pad) + String(decoding: line, as: UTF8.self).replacingOccurrences(of: "\n", with: pad)
            first = false
            rest = remainder
        } while !rest.isEmpty
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
}

extension String {
    /// Left-aligned in `width` columns (never cut).
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// Go's text/tabwriter as docker's tables use it (minwidth 10, tabwidth 1, padding 3,
/// space padding, no flags): tab-terminated cells aligned per column block, the last
/// cell of a line left as is, and a line without tabs ending every block.
struct TabWriter {
    var minWidth = 10
    var padding = 3

    func format(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        let endsWithNewline = text.hasSuffix("\n")
        if endsWithNewline { lines.removeLast() }
        var out = ""
        var blockStart = 0
        for (i, cells) in lines.enumerated() where cells.count == 1 {
            out += format(lines[blockStart...i])
            blockStart = i + 1
        }
        out += format(lines[blockStart...])
        if !endsWithNewline && out.hasSuffix("\n") { out.removeLast() }
        return out
    }

    /// Lines (each followed by a newline), aligned.
    private func format(_ lines: ArraySlice<[String]>) -> String {
        var widths: [Int] = []
        var out = ""
        formatColumns(lines, &widths, &out)
        return out
    }

    private func formatColumns(_ lines: ArraySlice<[String]>, _ widths: inout [Int], _ out: inout String) {
        let column = widths.count
        var lineStart = lines.startIndex
        var this = lines.startIndex
        while this < lines.endIndex {
            if column >= lines[this].count - 1 {
                this += 1
                continue
            }
            write(lines[lineStart..<this], widths, &out)
            lineStart = this
            var width = minWidth
            while this < lines.endIndex, column < lines[this].count - 1 {
                width = max(width, displayWidth(lines[this][column]) + padding)
                this += 1
            }
            widths.append(width)
            formatColumns(lines[lineStart..<this], &widths, &out)
            widths.removeLast()
            lineStart = this
        }
        write(lines[lineStart..<lines.endIndex], widths, &out)
    }

    private func write(_ lines: ArraySlice<[String]>, _ widths: [Int], _ out: inout String) {
        for cells in lines {
            for (j, cell) in cells.enumerated() {
                out += cell
                if j < widths.count {
                    out += String(repeating: " ", count: max(0, widths[j] - displayWidth(cell)))
                }
            }
            out += "\n"
        }
    }
}

/// Terminal columns a string takes: East Asian wide and fullwidth characters count two.
func displayWidth(_ s: String) -> Int {
    var width = 0
    for scalar in s.unicodeScalars {
        width += scalarWidth(scalar)
    }
    return width
}

func scalarWidth(_ scalar: Unicode.Scalar) -> Int {
    switch scalar.value {
    case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
        0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
        return 2
    default:
        return 1
    }
}

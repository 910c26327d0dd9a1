/// Splits a command line into words with POSIX shell quoting (as go-shellwords / shlex do):
/// blanks separate words, `'…'` is literal, `"…"` keeps `\"`, `\\`, `\$`, `` \` `` escapes,
/// a backslash outside quotes escapes the next character.
enum ShellWords {
    static func split(_ text: String) throws -> [String] {
        var words: [String] = []
        var cur = ""
        var inWord = false
        var it = Array(text)
        var i = 0
        while i < it.count {
            let c = it[i]
            switch c {
            case " ", "\t", "\n", "\r":
                if inWord { words.append(cur); cur = ""; inWord = false }
            case "\\":
                inWord = true
                if i + 1 < it.count {
                    i += 1
                    if it[i] != "\n" { cur.append(it[i]) }
                }
            case "'":
                inWord = true
                i += 1
                while i < it.count, it[i] != "'" { cur.append(it[i]); i += 1 }
                guard i < it.count else { throw ComposeError("invalid command line string: unterminated single quote") }
            case "\"":
                inWord = true
                i += 1
                while i < it.count, it[i] != "\"" {
                    if it[i] == "\\", i + 1 < it.count, "\"\\$`\n".contains(it[i + 1]) {
                        i += 1
                        if it[i] != "\n" { cur.append(it[i]) }
                    } else {
                        cur.append(it[i])
                    }
                    i += 1
                }
                guard i < it.count else { throw ComposeError("invalid command line string: unterminated double quote") }
            default:
                inWord = true
                cur.append(c)
            }
            i += 1
        }
        if inWord { words.append(cur) }
        it.removeAll()
        return words
    }
}

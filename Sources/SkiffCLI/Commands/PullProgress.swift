import Glibc

/// `skiff pull`/`push` output: on a terminal, one line per layer rewritten in place with
/// docker's progress bar (`id: Downloading [=====>     ]  1.2MB/3.4MB`); otherwise (or
/// with -q) exactly `JSONMessages.display`'s plain lines.
enum PullProgress {
    static func display(_ body: ResponseBody, to fd: Int32?) throws {
        guard let fd, Terminal.isTerminal(fd) else {
            try JSONMessages.display(body, to: fd)
            return
        }
        var view = LayerLines(fd: fd)
        var pending: [UInt8] = []
        while let part = try body.next() {
            pending += part
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                try view.show(line)
            }
        }
        if !pending.isEmpty { try view.show(pending) }
    }

    /// The block of per-layer lines under the cursor: the cursor stays at the start of
    /// the line after it; a layer's line is reached by moving up and back down.
    struct LayerLines {
        let fd: Int32
        var row: [String: Int] = [:]
        var count = 0

        mutating func show(_ line: [UInt8]) throws {
            guard let message = try? JSON.parse(line) else { return }
            if let error = message["errorDetail"]?["message"]?.string ?? message["error"]?.string {
                throw CLIError(error)
            }
            if message["aux"] != nil { return }  // push's result, for API clients
            var text = ""
            let id = message["id"]?.string ?? ""
            if !id.isEmpty { text += id + ": " }
            text += message["status"]?.string ?? ""
            if let bar = message["progress"]?.string, !bar.isEmpty { text += " " + bar }
            // A wrapped line would break the cursor arithmetic.
            let width = Terminal.size(fd)?.columns ?? 80
            if width > 1, text.count > width - 1 { text = String(text.prefix(width - 1)) }
            guard !id.isEmpty, message["progressDetail"] != nil else {
                // A line of its own (and the end of the layer block, as in docker).
                Output.write(fd, "\u{1B}[2K\r" + text + "\n")
                row = [:]
                count = 0
                return
            }
            if let at = row[id] {
                let up = count - at
                Output.write(fd, "\u{1B}[\(up)A\r\u{1B}[2K" + text + "\r\u{1B}[\(up)B")
            } else {
                row[id] = count
                count += 1
                Output.write(fd, "\u{1B}[2K\r" + text + "\n")
            }
        }
    }
}

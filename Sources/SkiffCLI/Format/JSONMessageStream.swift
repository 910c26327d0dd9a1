/// docker's jsonmessage.DisplayJSONMessagesStream as `docker build` calls it. Its output is
/// never taken for a terminal there (the CLI hands it a stream whose file descriptor it
/// cannot see), so messages are printed line by line, without cursor movements, and those
/// whose progress bar would show are skipped. `aux` messages go to a callback; a message
/// with an `errorDetail` ends the stream with its error.
struct JSONMessageStream {
    /// The error a message reported; docker exits with its code (1 when it has none).
    struct Failure: Error, Equatable {
        let code: Int
        let message: String
    }

    let write: (String) -> Void
    let onAux: (JSON) -> Void
    /// The width progress bars would be drawn for (the terminal on stdin, else 200).
    var width: Int = Terminal.size(0)?.columns ?? 200

    /// Shows every message of `body` (one JSON object per line).
    func display(_ body: ResponseBody) throws {
        var pending: [UInt8] = []
        while let part = try body.next() {
            pending += part
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                try show(line: pending[start..<newline])
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        try show(line: pending[...])
    }

    /// Shows one line of the stream (blank and unreadable lines are skipped).
    func show(line: ArraySlice<UInt8>) throws(Failure) {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }), let message = try? JSON.parse(line),
              message.object != nil else { return }
        try show(message)
    }

    /// JSONMessage.Display with isTerminal false.
    func show(_ message: JSON) throws(Failure) {
        if let aux = message["aux"], !aux.isNull {
            onAux(aux)
            return
        }
        if let failure = Self.failure(message) { throw failure }
        if let text = render(message) { write(text) }
    }

    /// The error a message carries: its `errorDetail` (docker reads nothing else; a bare
    /// `error` is taken too, with code 1).
    static func failure(_ message: JSON) -> Failure? {
        if let detail = message["errorDetail"], detail.object != nil {
            return Failure(code: detail["code"]?.int ?? 0, message: detail["message"]?.string ?? "")
        }
        if let error = message["error"]?.string, !error.isEmpty { return Failure(code: 0, message: error) }
        return nil
    }

    /// The text docker prints for a message, or nil when it prints nothing.
    func render(_ message: JSON) -> String? {
        if let detail = message["progressDetail"], detail.object != nil, !Self.progressIsBlank(detail, width: width) { return nil }
        var out = ""
        if let nanos = message["timeNano"]?.int, nanos != 0 {
            out += GoTime.rfc3339NanoFixed(nanoseconds: Int64(nanos)) + " "
        } else if let seconds = message["time"]?.int, seconds != 0 {
            out += GoTime.rfc3339NanoFixed(nanoseconds: Int64(seconds) * 1_000_000_000) + " "
        }
        if let id = message["id"]?.string, !id.isEmpty { out += id + ": " }
        if let from = message["from"]?.string, !from.isEmpty { out += "(from \(from)) " }
        let status = message["status"]?.string ?? ""
        if let progress = message["progress"]?.string, !progress.isEmpty {
            out += status + " " + progress
        } else if let stream = message["stream"]?.string, !stream.isEmpty {
            out += stream
        } else {
            out += status + "\n"
        }
        return out
    }

    /// Whether JSONProgress.String() is empty: nothing counted yet, or (with a total) no bar
    /// at this width, the counts hidden and no time left to show.
    static func progressIsBlank(_ detail: JSON, width: Int) -> Bool {
        let current = detail["current"]?.int ?? 0, total = detail["total"]?.int ?? 0
        if current <= 0 && total <= 0 { return true }
        if total <= 0 || width > 110 || detail["hidecounts"]?.bool != true { return false }
        let start = detail["start"]?.int ?? 0
        let percentage = min(50, Int(Double(current) / Double(total) * 100) / 2)
        return !(width > 50 && current > 0 && start > 0 && percentage < 50)
    }
}

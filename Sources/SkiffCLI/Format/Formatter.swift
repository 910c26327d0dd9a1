/// docker's `formatter.Context`: a `--format` value (table, json, or a template) applied to
/// rows, tables aligned with a header row made from the same template.
struct Formatter {
    /// The format as docker resolves it: "table ..." or a template ("json" already mapped).
    let format: String

    var isTable: Bool { format.hasPrefix("table") }

    /// The template text after docker's preprocessing: "table" and spaces removed, `\t` and
    /// `\n` written literally become tabs and newlines.
    var templateText: String {
        var text = format == "json" ? "{{json .}}" : format
        if isTable { text = String(text.dropFirst("table".count)) }
        while text.hasPrefix(" ") { text.removeFirst() }
        while text.hasSuffix(" ") { text.removeLast() }
        return text.replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\n", with: "\n")
    }

    /// The formatted output for `rows`, with `header` naming the columns of a table.
    func render(_ rows: [any TemplateRecord], header: HeaderRecord) throws(CLIError) -> String {
        let template: GoTemplate
        do { template = try GoTemplate(templateText) } catch { throw CLIError("template parsing error: \(error)") }
        var body = ""
        for row in rows {
            do { body += try template.execute(.record(row)) } catch { throw CLIError("template parsing error: \(error)") }
            body += "\n"
        }
        guard isTable else { return body }
        // docker ignores errors in the header row and keeps what was written before them.
        let head = template.executePartial(.record(header), header: true)
        return TabWriter().format(head + "\n" + body)
    }
}

/// A table's header: docker's `SubHeaderContext`, a map from field to column name whose
/// `Label` method names label columns.
struct HeaderRecord: TemplateRecord {
    let columns: [String: String]

    var typeName: String { "formatter.SubHeaderContext" }

    func field(_ name: String, args: [TemplateValue]) throws(TemplateExecError) -> TemplateValue? {
        if name == "Label" {
            guard args.count == 1, let label = args[0].string else {
                throw TemplateExecError("wrong number of args for Label: want 1 got \(args.count)")
            }
            let last = label.split(separator: ".", omittingEmptySubsequences: false).last.map(String.init) ?? label
            return .string(last.replacingOccurrences(of: "-", with: " ").replacingOccurrences(of: "_", with: " "))
        }
        if !args.isEmpty { throw TemplateExecError("\(name) is not a method but has arguments") }
        return columns[name].map { .string($0) } ?? .noValue
    }

    var json: JSON { .object(JSONObject(columns.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSON.string($0.value)) })) }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        return components(separatedBy: target).joined(separator: replacement)
    }
}

/// docker's `inspect.Inspect`: objects fetched by reference, printed as an indented JSON
/// array of the daemon's bytes, compact with `--format json`, or through a template — run
/// on the object as docker's typed struct first and, if that fails, on the raw JSON with
/// `missingkey=error`; failures are collected and reported together.
enum Inspector {
    /// `type` gives an object's Go type (nil: raw JSON only); `view` adjusts an object where
    /// docker's typed structs marshal differently from the daemon's JSON; without
    /// `rawFallback` a template runs on the typed struct only (docker keeps no raw bytes for
    /// volumes).
    static func run(
        references: [String], format: String?, type: (JSON) -> GoType? = { _ in nil }, view: (JSON) -> JSON = { $0 },
        rawFallback: Bool = true, lookup: (String) throws -> [UInt8]
    ) throws {
        let format = format ?? ""
        var template: GoTemplate?
        if !format.isEmpty && format != "json" {
            do { template = try GoTemplate(format) } catch { throw CLIError("template parsing error: \(error)", status: 64) }
        }
        var errors: [String] = []
        var raws: [[UInt8]] = []
        var output = ""
        for ref in references {
            let raw: [UInt8]
            do { raw = try lookup(ref) } catch {
                errors.append(errorText(error))
                continue
            }
            guard let template else {
                raws.append(raw)
                continue
            }
            do {
                let value = view(try JSON.parse(raw))
                if let goType = type(value), !rawFallback {
                    output += try template.execute(.typed(value, goType)) + "\n"
                } else if let goType = type(value), let typed = try? template.execute(.typed(value, goType)) {
                    output += typed + "\n"
                } else {
                    output += try template.execute(.json(value), missingKeyIsError: true) + "\n"
                }
            } catch let error as TemplateExecError {
                errors.append("template parsing error: \(error)")
            } catch {
                errors.append("unable to read inspect data: \(error)")
            }
        }
        if template != nil {
            Output.write(1, output.isEmpty ? "\n" : output)
        } else if raws.isEmpty {
            Output.write(1, "[]\n")
        } else {
            var joined: [UInt8] = [UInt8(ascii: "[")]
            for (i, r) in raws.enumerated() {
                if i > 0 { joined.append(UInt8(ascii: ",")) }
                joined += r
            }
            joined.append(UInt8(ascii: "]"))
            Output.write(1, JSON.reformat(joined, indent: format == "json" ? nil : "    ") + [0x0A])
        }
        if !errors.isEmpty { throw CLIError(errors.joined(separator: "\n")) }
    }
}

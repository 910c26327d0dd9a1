// `RUN --mount=type=...,key=value,...` as BuildKit parses it
// (instructions/commands_runmount.go): a CSV record of `key=value` fields and
// the bare `ro`/`rw`/`required`. At parse time only the CSV and a `$` in `from=`
// are checked; the rest is read when the instruction is dispatched, each value
// expanded with the stage's variables first.

/// A typed `RUN --mount`.
public struct RunMount: Sendable, Equatable {
    public enum MountType: String, Sendable, Equatable, CaseIterable {
        case bind, cache, tmpfs, secret, ssh
    }

    public enum Sharing: String, Sendable, Equatable, CaseIterable {
        case shared, `private`, locked
    }

    public var type: MountType = .bind
    /// A stage or image to mount from (bind, cache); nil: the build context (bind) or empty (cache).
    public var from: String?
    /// A path in `from`, or the secret's / ssh agent's id for secret and ssh mounts.
    public var source: String?
    public var target: String?
    /// Defaults: read-only for bind, secret and ssh; writable for cache and tmpfs.
    public var readOnly = true
    /// tmpfs `size=`, in bytes; 0 when not set.
    public var sizeLimit: Int64 = 0
    /// `id=`: the cache's id (default: the target), or the secret's.
    public var cacheID: String?
    public var sharing: Sharing?
    /// secret and ssh: fail when the secret or agent is missing.
    public var required = false
    /// secret: expose it as this environment variable ("" for the default name).
    public var env: String?
    public var mode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?

    public init(type: MountType = .bind) {
        self.type = type
    }

    static let keys = [
        "type", "from", "source", "target", "readonly", "id", "sharing", "required", "size", "mode", "uid", "gid",
        "src", "dst", "destination", "ro", "rw", "readwrite", "env",
    ]

    /// BuildKit's `parseMount`. Without `expand` (parse time) only the CSV and `from` are
    /// checked and only `from` is read; with it, every value is expanded and checked.
    static func parse(_ spec: String, expand: ((String) throws(DockerfileError) -> String)?) throws(DockerfileError) -> RunMount {
        let fields: [String]
        do {
            fields = try CSVRecord.fields(spec)
        } catch {
            throw DockerfileError("failed to parse csv mounts: \(error.message)", lines: nil)
        }
        var mount = RunMount()
        var readOnlyByDefault = true
        for field in fields {
            let equals = field.firstIndex(of: "=")
            let key = String(field[..<(equals ?? field.endIndex)]).lowercased()
            guard let equals else {
                guard expand != nil else { continue }
                switch key {
                case "readonly", "ro":
                    mount.readOnly = true
                    readOnlyByDefault = false
                case "readwrite", "rw":
                    mount.readOnly = false
                    readOnlyByDefault = false
                case "required":
                    guard mount.type == .secret || mount.type == .ssh else {
                        throw DockerfileError("unexpected key '\(key)' for mount type '\(mount.type.rawValue)'", lines: nil)
                    }
                    mount.required = true
                default:
                    throw DockerfileError("invalid field '\(field)' must be a key=value pair", lines: nil)
                }
                continue
            }
            var value = String(field[field.index(after: equals)...])
            if let expand {
                value = try expand(value)
            } else if key == "from" {
                if let dollar = value.firstIndex(of: "$"), dollar != value.index(before: value.endIndex) {
                    throw DockerfileError("'\(key)' doesn't support variable expansion, define alias stage instead", lines: nil)
                }
            } else {
                continue
            }
            func invalidValue() -> DockerfileError { DockerfileError("invalid value for \(key): \(value)", lines: nil) }
            func unexpectedKey() -> DockerfileError {
                DockerfileError("unexpected key '\(key)' for mount type '\(mount.type.rawValue)'", lines: nil)
            }
            switch key {
            case "type":
                guard let type = MountType(rawValue: value.lowercased()) else {
                    throw DockerfileError(Suggestion.wrap("unsupported mount type \(GoText.quote(value))", value: value,
                                                          options: MountType.allCases.map(\.rawValue), caseSensitive: true), lines: nil)
                }
                mount.type = type
            case "from":
                mount.from = value.isEmpty ? nil : value
            case "source", "src":
                mount.source = value.isEmpty ? nil : value
            case "target", "dst", "destination":
                mount.target = value.isEmpty ? nil : value
            case "readonly", "ro":
                guard let flag = GoText.parseBool(value) else { throw invalidValue() }
                mount.readOnly = flag
                readOnlyByDefault = false
            case "readwrite", "rw":
                guard let flag = GoText.parseBool(value) else { throw invalidValue() }
                mount.readOnly = !flag
                readOnlyByDefault = false
            case "required":
                guard mount.type == .secret || mount.type == .ssh else { throw unexpectedKey() }
                guard let flag = GoText.parseBool(value) else { throw invalidValue() }
                mount.required = flag
            case "size":
                guard mount.type == .tmpfs else { throw unexpectedKey() }
                guard let size = GoNumbers.ramInBytes(value) else { throw invalidValue() }
                mount.sizeLimit = size
            case "id":
                mount.cacheID = value.isEmpty ? nil : value
            case "sharing":
                guard let sharing = Sharing(rawValue: value.lowercased()) else {
                    throw DockerfileError(Suggestion.wrap("unsupported sharing value \(GoText.quote(value))", value: value,
                                                          options: Sharing.allCases.map(\.rawValue), caseSensitive: true), lines: nil)
                }
                mount.sharing = sharing
            case "mode":
                guard let mode = GoText.parseUInt32(value, radix: 8) else {
                    throw DockerfileError("invalid value \(value) for mode", lines: nil)
                }
                mount.mode = mode
            case "uid", "gid":
                guard let id = GoText.parseUInt32(value, radix: 10) else {
                    throw DockerfileError("invalid value \(value) for \(key)", lines: nil)
                }
                if key == "uid" { mount.uid = id } else { mount.gid = id }
            case "env":
                mount.env = value
            default:
                throw DockerfileError(Suggestion.wrap("unexpected key '\(key)' in '\(field)'", value: key, options: keys, caseSensitive: true), lines: nil)
            }
        }

        if mount.type != .secret && mount.type != .ssh && mount.type != .cache {
            let type = GoText.quote(mount.type.rawValue)
            if mount.mode != nil { throw DockerfileError("mode not allowed for \(type) type mounts", lines: nil) }
            if mount.uid != nil { throw DockerfileError("uid not allowed for \(type) type mounts", lines: nil) }
            if mount.gid != nil { throw DockerfileError("gid not allowed for \(type) type mounts", lines: nil) }
        }
        if readOnlyByDefault {
            mount.readOnly = mount.type != .cache && mount.type != .tmpfs
        }
        if mount.type == .secret {
            if mount.from != nil { throw DockerfileError("secret mount should not have a from", lines: nil) }
            if mount.sharing != nil { throw DockerfileError("secret mount should not define sharing", lines: nil) }
            if mount.source == nil && mount.target == nil && mount.cacheID == nil {
                throw DockerfileError("invalid secret mount. one of source, target required", lines: nil)
            }
            if mount.source != nil && mount.cacheID != nil { throw DockerfileError("both source and id can't be set", lines: nil) }
        }
        if mount.sharing != nil && mount.type != .cache {
            throw DockerfileError("invalid cache sharing set for \(mount.type.rawValue) mount", lines: nil)
        }
        return mount
    }
}

extension RunDevice {
    /// BuildKit's `ParseDevice`: `name[,required[=bool]]` or `name=...,required=...`.
    static func parse(_ spec: String) throws(DockerfileError) -> RunDevice {
        let fields: [String]
        do {
            fields = try CSVRecord.fields(spec)
        } catch {
            throw DockerfileError("failed to parse csv devices: \(error.message)", lines: nil)
        }
        var device = RunDevice(name: "")
        for field in fields {
            let equals = field.firstIndex(of: "=")
            let key = String(field[..<(equals ?? field.endIndex)]).lowercased()
            guard let equals else {
                if key == "required" {
                    device.required = true
                } else if device.name.isEmpty {
                    device.name = field
                } else {
                    throw DockerfileError("invalid field '\(field)' must be a key=value pair", lines: nil)
                }
                continue
            }
            let value = String(field[field.index(after: equals)...])
            switch key {
            case "name":
                if !device.name.isEmpty { throw DockerfileError("device name already set to \(device.name)", lines: nil) }
                device.name = value
            case "required":
                guard let flag = GoText.parseBool(value) else { throw DockerfileError("invalid value for \(key): \(value)", lines: nil) }
                device.required = flag
            default:
                guard device.name.isEmpty else {
                    throw DockerfileError(Suggestion.wrap("unexpected key '\(key)' in '\(field)'", value: key,
                                                          options: ["name", "required"], caseSensitive: true), lines: nil)
                }
                device.name = field
            }
        }
        return device
    }
}

/// tonistiigi/go-csvvalue `Fields`: one CSV record (`,` separated, `"` quoting with
/// `""` for a quote); positions in errors are byte columns, as encoding/csv reports them.
enum CSVRecord {
    static func fields(_ text: String) throws(ExpansionError) -> [String] {
        var line = Array(text.utf8)[...]
        if line.last == 0x0A {
            line = line.dropLast()
            if line.last == 0x0D { line = line.dropLast() }
        }
        if line.isEmpty { throw ExpansionError("EOF") }
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")
        func failure(_ column: Int, _ reason: String) -> ExpansionError {
            ExpansionError("parse error on line 1, column \(column): \(reason)")
        }
        var fields: [[UInt8]] = []
        var index = line.startIndex
        while true {
            if index == line.endIndex || line[index] != quote {
                let end = line[index...].firstIndex(of: comma) ?? line.endIndex
                if let bare = line[index..<end].firstIndex(of: quote) {
                    throw failure(bare - line.startIndex + 1, "bare \" in non-quoted-field")
                }
                fields.append(Array(line[index..<end]))
                if end == line.endIndex { break }
                index = end + 1
                continue
            }
            index += 1
            var halfOpen = false
            quoted: while true {
                guard let close = line[index...].firstIndex(of: quote) else {
                    throw failure(index - line.startIndex + 1, "extraneous or missing \" in quoted-field")
                }
                if halfOpen { fields[fields.count - 1] += line[index..<close] } else { fields.append(Array(line[index..<close])) }
                halfOpen = false
                index = close + 1
                if index < line.endIndex && line[index] == quote {
                    fields[fields.count - 1].append(quote)
                    index += 1
                    halfOpen = true
                } else if index < line.endIndex && line[index] == comma {
                    index += 1
                    break quoted
                } else if index == line.endIndex {
                    return fields.map { String(decoding: $0, as: UTF8.self) }
                } else {
                    throw failure(index - line.startIndex, "extraneous or missing \" in quoted-field")
                }
            }
        }
        return fields.map { String(decoding: $0, as: UTF8.self) }
    }
}

/// A Compose file's content as a tree: YAML's scalars, sequences and mappings, with mapping
/// keys in file order (so `config` prints them as written and errors name them stably).
public enum ComposeValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([ComposeValue])
    case mapping(ComposeMapping)

    public subscript(key: String) -> ComposeValue? {
        if case .mapping(let m) = self { return m[key] }
        return nil
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var int: Int? {
        switch self {
        case .int(let i): return i
        case .string(let s): return Int(s)
        default: return nil
        }
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var array: [ComposeValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var mapping: ComposeMapping? {
        if case .mapping(let m) = self { return m }
        return nil
    }

    /// A scalar as text (`8080`, `true`, `1.5`, `web`); nil for null, sequences and mappings.
    public var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }
}

/// A mapping whose keys keep their order.
public struct ComposeMapping: Sendable, Equatable {
    public private(set) var entries: [(key: String, value: ComposeValue)] = []
    /// Key → position in `entries` (so big mappings stay fast).
    private var index: [String: Int] = [:]

    public init() {}

    public init(_ entries: [(key: String, value: ComposeValue)]) {
        for (k, v) in entries { self[k] = v }
    }

    public var keys: [String] { entries.map(\.key) }
    public var isEmpty: Bool { entries.isEmpty }

    public subscript(key: String) -> ComposeValue? {
        get { index[key].map { entries[$0].value } }
        set {
            if let i = index[key] {
                if let newValue {
                    entries[i].value = newValue
                } else {
                    entries.remove(at: i)
                    index[key] = nil
                    for j in i..<entries.count { index[entries[j].key] = j }
                }
            } else if let newValue {
                index[key] = entries.count
                entries.append((key, newValue))
            }
        }
    }

    public static func == (a: ComposeMapping, b: ComposeMapping) -> Bool {
        a.entries.count == b.entries.count
            && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension ComposeValue {
    /// The value at a path of mapping keys and `[i]` indices.
    func value(at path: some Collection<String>) -> ComposeValue? {
        guard let first = path.first else { return self }
        let rest = path.dropFirst()
        if first.hasPrefix("["), first.hasSuffix("]"), let i = Int(first.dropFirst().dropLast()) {
            guard case .array(let a) = self, a.indices.contains(i) else { return nil }
            return a[i].value(at: rest)
        }
        return self[first]?.value(at: rest)
    }

    /// Sets (or, with nil, removes) the value at a path; missing mappings on the way are created.
    mutating func setValue(_ new: ComposeValue?, at path: some Collection<String>) {
        guard let first = path.first else {
            if let new { self = new }
            return
        }
        let rest = path.dropFirst()
        if first.hasPrefix("["), first.hasSuffix("]"), let i = Int(first.dropFirst().dropLast()) {
            guard case .array(var a) = self, a.indices.contains(i) else { return }
            if rest.isEmpty, new == nil {
                a.remove(at: i)
            } else {
                a[i].setValue(new, at: rest)
            }
            self = .array(a)
            return
        }
        var m = mapping ?? ComposeMapping()
        if rest.isEmpty {
            m[first] = new
        } else {
            var child = m[first] ?? .mapping(ComposeMapping())
            if new == nil, m[first] == nil { return }
            child.setValue(new, at: rest)
            m[first] = child
        }
        self = .mapping(m)
    }
}

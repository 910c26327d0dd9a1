// Docker's JSON is written by Go's encoding/json: a field without `omitempty`
// is always present, as its zero value ("" / false / 0) or, for slices, maps
// and pointers, as `null`. These helpers let the Codable types say which.
// (Go's `struct{}` values, as in `ExposedPorts`, are SkiffOCI's `EmptyObject`.)

extension KeyedEncodingContainer {
    /// A Go string field without omitempty: nil is written as "".
    mutating func encodeGo(_ value: String?, forKey key: Key) throws {
        try encode(value ?? "", forKey: key)
    }

    /// A Go bool field without omitempty: nil is written as false.
    mutating func encodeGo(_ value: Bool?, forKey key: Key) throws {
        try encode(value ?? false, forKey: key)
    }

    /// A Go integer field without omitempty: nil is written as 0.
    mutating func encodeGo(_ value: Int?, forKey key: Key) throws {
        try encode(value ?? 0, forKey: key)
    }

    /// A Go integer field without omitempty: nil is written as 0.
    mutating func encodeGo(_ value: Int64?, forKey key: Key) throws {
        try encode(value ?? 0, forKey: key)
    }

    /// A Go slice, map or pointer field without omitempty: nil is written as null.
    mutating func encodeGo<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}

extension KeyedDecodingContainer {
    /// Docker's `strslice.StrSlice`: an array of strings, or one string
    /// (taken as a one-element array); null or absent is nil.
    func decodeStrSlice(forKey key: Key) throws -> [String]? {
        if let one = try? decodeIfPresent(String.self, forKey: key) { return [one] }
        return try decodeIfPresent([String].self, forKey: key)
    }
}

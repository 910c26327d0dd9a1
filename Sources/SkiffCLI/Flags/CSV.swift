/// Go's encoding/csv reading one record, as pflag's StringSlice flags read their values:
/// comma-separated fields, a field in double quotes may hold commas and `""`, the record
/// ends at the first line break.
enum CSV {
    struct ParseError: Error {
        let column: Int
        let reason: String

        /// encoding/csv's wording ("parse error on line 1, column 2: bare \" in non-quoted-field").
        var message: String { "parse error on line 1, column \(column): \(reason)" }
    }

    static func record(_ text: String) throws(ParseError) -> [String] {
        if text.isEmpty { return [] }
        let bytes = Array(text.utf8)
        var fields: [String] = []
        var i = 0
        while true {
            var field: [UInt8] = []
            if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
                i += 1
                while true {
                    guard i < bytes.count else {
                        throw ParseError(column: bytes.count + 1, reason: "extraneous or missing \" in quoted-field")
                    }
                    let c = bytes[i]
                    i += 1
                    guard c == UInt8(ascii: "\"") else {
                        field.append(c)
                        continue
                    }
                    if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
                        field.append(c)
                        i += 1
                    } else if i == bytes.count || bytes[i] == UInt8(ascii: ",") || bytes[i] == 0x0A || bytes[i] == 0x0D {
                        break
                    } else {
                        throw ParseError(column: i, reason: "extraneous or missing \" in quoted-field")
                    }
                }
            } else {
                while i < bytes.count, bytes[i] != UInt8(ascii: ","), bytes[i] != 0x0A, bytes[i] != 0x0D {
                    if bytes[i] == UInt8(ascii: "\"") {
                        throw ParseError(column: i + 1, reason: "bare \" in non-quoted-field")
                    }
                    field.append(bytes[i])
                    i += 1
                }
            }
            fields.append(String(decoding: field, as: UTF8.self))
            guard i < bytes.count, bytes[i] == UInt8(ascii: ",") else { return fields }
            i += 1
        }
    }
}

import FoundationEssentials

/// A config.json that could not be used, with the field that is wrong.
public struct SpecError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Dotted path of the offending field (`process.args[0]`), or empty for the whole file.
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String {
        field.isEmpty ? "config.json: \(problem)" : "config.json: \(field): \(problem)"
    }
}

extension RuntimeSpec {
    /// Decodes config.json bytes; a decoding failure names the field.
    public static func decode(_ data: Data) throws(SpecError) -> RuntimeSpec {
        do {
            return try JSONDecoder().decode(RuntimeSpec.self, from: data)
        } catch let error as DecodingError {
            throw SpecError(decoding: error)
        } catch {
            throw SpecError(field: "", problem: "\(error)")
        }
    }
}

extension SpecError {
    /// Names the field a JSON decoding failure is about.
    public init(decoding error: DecodingError) {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let index = key.intValue {
                    out += "[\(index)]"
                } else {
                    out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return out
        }
        switch error {
        case .typeMismatch(let type, let context):
            self.init(field: path(context.codingPath), problem: "expected \(Self.jsonName(type))")
        case .valueNotFound(let type, let context):
            self.init(field: path(context.codingPath), problem: "expected \(Self.jsonName(type)), found null")
        case .keyNotFound(let key, let context):
            self.init(field: path(context.codingPath + [key]), problem: "required field is missing")
        case .dataCorrupted(let context):
            let reason = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            self.init(field: path(context.codingPath), problem: context.codingPath.isEmpty ? "not valid JSON: \(reason)" : context.debugDescription)
        @unknown default:
            self.init(field: "", problem: "\(error)")
        }
    }

    private static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt.Type, is UInt16.Type, is UInt32.Type, is UInt64.Type:
            "an integer"
        case is [String].Type: "an array of strings"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : (String(describing: type).hasPrefix("Dictionary") ? "an object" : "an object")
        }
    }
}

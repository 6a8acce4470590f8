import Foundation

/// RFC 4180 CSV: a field holding a comma, a double quote, CR or LF is written in double
/// quotes with its quotes doubled; records end with LF (CRLF is accepted when reading).
/// Lines that start with `#` before any field are comment lines (the results header).
public enum CSV {
    /// One field, quoted only when it must be.
    public static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record, with its terminating LF.
    public static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    /// A parsed piece of a file.
    public enum Item: Equatable {
        case comment(String)
        case record([String])
    }

    /// What `parse` found: the complete items, each with the 1-based line it starts on, and
    /// the byte length of the complete part. Bytes past `completeLength` are an unterminated
    /// last record (a write cut short), not returned as an item.
    public struct Parsed {
        public var items: [(item: Item, line: Int)]
        public var completeLength: Int
    }

    /// Parses UTF-8 bytes. Throws `EvalError.malformedFile` (naming `source` and the line)
    /// for a quote inside an unquoted field or text after a closing quote.
    public static func parse(_ bytes: [UInt8], source: String) throws -> Parsed {
        var items = [(item: Item, line: Int)]()
        var complete = 0
        var i = 0
        var line = 1
        let n = bytes.count
        func text(_ b: ArraySlice<UInt8>) -> String { String(decoding: b, as: UTF8.self) }
        while i < n {
            let startLine = line
            if bytes[i] == UInt8(ascii: "#") {
                guard let nl = bytes[i...].firstIndex(of: UInt8(ascii: "\n")) else { break }
                var end = nl
                if end > i, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                items.append((.comment(text(bytes[(i + 1) ..< end])), startLine))
                i = nl + 1; line += 1; complete = i
                continue
            }
            var fields = [String]()
            var field = [UInt8]()
            var terminated = false
            fieldLoop: while i < n {
                if bytes[i] == UInt8(ascii: "\"") && field.isEmpty {
                    // Quoted field.
                    i += 1
                    var closed = false
                    while i < n {
                        let b = bytes[i]
                        if b == UInt8(ascii: "\"") {
                            if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\"") { field.append(b); i += 2; continue }
                            i += 1; closed = true; break
                        }
                        if b == UInt8(ascii: "\n") { line += 1 }
                        field.append(b); i += 1
                    }
                    guard closed else { break fieldLoop }   // EOF inside quotes: unterminated
                    guard i < n else { break fieldLoop }
                    switch bytes[i] {
                    case UInt8(ascii: ","): fields.append(text(field[...])); field = []; i += 1
                    case UInt8(ascii: "\n"): fields.append(text(field[...])); i += 1; line += 1; terminated = true; break fieldLoop
                    case UInt8(ascii: "\r") where i + 1 < n && bytes[i + 1] == UInt8(ascii: "\n"):
                        fields.append(text(field[...])); i += 2; line += 1; terminated = true; break fieldLoop
                    default:
                        throw EvalError.malformedFile(path: source, reason: "line \(line): text after a closing quote")
                    }
                    continue
                }
                // Unquoted field: up to , or LF.
                var quotedStart = false
                while i < n {
                    let b = bytes[i]
                    if b == UInt8(ascii: ",") || b == UInt8(ascii: "\n") { break }
                    if b == UInt8(ascii: "\"") { quotedStart = true; break }
                    field.append(b); i += 1
                }
                if quotedStart {
                    throw EvalError.malformedFile(path: source, reason: "line \(line): a double quote inside an unquoted field")
                }
                guard i < n else { break fieldLoop }
                if bytes[i] == UInt8(ascii: ",") {
                    fields.append(text(field[...])); field = []; i += 1
                    if i == n { break fieldLoop }
                } else {
                    if field.last == UInt8(ascii: "\r") { field.removeLast() }
                    fields.append(text(field[...])); i += 1; line += 1; terminated = true; break fieldLoop
                }
            }
            guard terminated else { break }
            items.append((.record(fields), startLine))
            complete = i
        }
        return Parsed(items: items, completeLength: complete)
    }
}

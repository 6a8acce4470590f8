import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A box in PASCAL VOC convention: pixel coordinates, **1-based and inclusive**
/// (a box covering only the top-left pixel is `1, 1, 1, 1`). Doubles, because some tools
/// (e.g. labelme) write fractional coordinates.
public struct VOCBox: Equatable, Sendable {
    public var xmin: Double, ymin: Double, xmax: Double, ymax: Double
    public init(xmin: Double, ymin: Double, xmax: Double, ymax: Double) {
        self.xmin = xmin; self.ymin = ymin; self.xmax = xmax; self.ymax = ymax
    }
}

/// One `<object>` of a VOC annotation. `difficult` / `truncated` are false when the tag is
/// absent or empty, true when it holds a non-zero number.
public struct VOCObject: Equatable, Sendable {
    public var name: String
    public var difficult: Bool
    public var truncated: Bool
    public var box: VOCBox
    public init(name: String, difficult: Bool, truncated: Bool, box: VOCBox) {
        self.name = name; self.difficult = difficult; self.truncated = truncated; self.box = box
    }
}

/// A parsed PASCAL VOC annotation file (`Annotations/<id>.xml`). Body-part boxes
/// (`<part>` inside a person object) are ignored.
public struct VOCAnnotation: Equatable, Sendable {
    public var filename: String
    public var width: Int
    public var height: Int
    public var objects: [VOCObject]

    public init(filename: String, width: Int, height: Int, objects: [VOCObject]) {
        self.filename = filename; self.width = width; self.height = height; self.objects = objects
    }

    /// Reads and parses the annotation at `path`.
    /// Throws `EvalError.fileNotFound` or `.malformedFile` naming the path.
    public init(contentsOf path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw EvalError.fileNotFound(path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvalError.malformedFile(path: path, reason: "cannot be read")
        }
        try self.init(data: data, source: path)
    }

    /// Parses annotation XML; `source` names the data in error messages.
    public init(data: Data, source: String) throws {
        // swift-corelibs-foundation's XMLParser traps (SIGILL) on some element names that are not
        // valid UTF-8 (Tests/Fixtures/fuzz/voc/crash-debe07fc...): check the bytes first.
        guard String(validating: data, as: UTF8.self) != nil else {
            throw EvalError.malformedFile(path: source, reason: "not valid UTF-8 text")
        }
        // It also dereferences a NULL pointer (SIGSEGV in strlen) on a processing instruction with
        // no data, e.g. `<?o?>` (Tests/Fixtures/fuzz/voc/crash-1a270844...). Annotations hold no
        // processing instructions: refuse every `<?` except a leading XML declaration.
        if let at = processingInstruction(in: [UInt8](data)) {
            throw EvalError.malformedFile(path: source, reason: "processing instruction at byte \(at) (not expected in an annotation)")
        }
        let delegate = VOCParserDelegate(source: source)
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        let ok = parser.parse()
        if let e = delegate.error { throw e }
        guard ok else {
            let reason = parser.parserError.map { "XML error: \($0.localizedDescription) (line \(parser.lineNumber))" }
                ?? "XML error at line \(parser.lineNumber)"
            throw EvalError.malformedFile(path: source, reason: reason)
        }
        guard delegate.sawRoot else {
            throw EvalError.malformedFile(path: source, reason: "no <annotation> root element")
        }
        guard let w = delegate.width, let h = delegate.height else {
            throw EvalError.malformedFile(path: source, reason: "missing <size><width>/<height>")
        }
        self.init(filename: delegate.filename ?? "", width: w, height: h, objects: delegate.objects)
    }
}

/// SAX-style delegate: tracks the element path and collects the fields VOC uses.
final class VOCParserDelegate: NSObject, XMLParserDelegate {
    let source: String
    var stack: [String] = []
    var text = ""
    var sawRoot = false
    var filename: String?
    var width: Int?, height: Int?
    var objects: [VOCObject] = []
    var error: EvalError?
    // Current object.
    var name: String?, difficult = false, truncated = false
    var coords: [String: Double] = [:]

    init(source: String) { self.source = source }

    func fail(_ reason: String, _ parser: XMLParser) {
        if error == nil { error = .malformedFile(path: source, reason: reason + " (line \(parser.lineNumber))") }
        parser.abortParsing()
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        if stack.isEmpty {
            guard elementName == "annotation" else {
                return fail("root element is <\(elementName)>, expected <annotation>", parser)
            }
            sawRoot = true
        }
        stack.append(elementName)
        text = ""
        if stack == ["annotation", "object"] {
            name = nil; difficult = false; truncated = false; coords = [:]
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?) {
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let path = stack
        defer { stack.removeLast(); text = "" }
        switch path {
        case ["annotation", "filename"]:
            filename = value
        case ["annotation", "size", "width"], ["annotation", "size", "height"]:
            guard let d = Double(value), d >= 1, d.rounded() == d, d < 1e6 else {
                return fail("<size><\(elementName)> is '\(value)', expected a positive integer", parser)
            }
            if elementName == "width" { width = Int(d) } else { height = Int(d) }
        case ["annotation", "object", "name"]:
            name = value
        case ["annotation", "object", "difficult"], ["annotation", "object", "truncated"]:
            var flag = false
            if !value.isEmpty {
                guard let d = Double(value) else {
                    return fail("<\(elementName)> is '\(value)', expected 0 or 1", parser)
                }
                flag = d != 0
            }
            if elementName == "difficult" { difficult = flag } else { truncated = flag }
        case ["annotation", "object", "bndbox", "xmin"], ["annotation", "object", "bndbox", "ymin"],
             ["annotation", "object", "bndbox", "xmax"], ["annotation", "object", "bndbox", "ymax"]:
            guard let d = Double(value), d.isFinite else {
                return fail("<bndbox><\(elementName)> is '\(value)', expected a number", parser)
            }
            coords[elementName] = d
        case ["annotation", "object"]:
            guard let n = name, !n.isEmpty else { return fail("an <object> has no <name>", parser) }
            guard let x0 = coords["xmin"], let y0 = coords["ymin"], let x1 = coords["xmax"], let y1 = coords["ymax"] else {
                return fail("object '\(n)' lacks a complete <bndbox> (xmin, ymin, xmax, ymax)", parser)
            }
            guard x0 <= x1, y0 <= y1 else {
                return fail("object '\(n)' has an inverted box \(x0),\(y0),\(x1),\(y1)", parser)
            }
            objects.append(VOCObject(name: n, difficult: difficult, truncated: truncated,
                                     box: VOCBox(xmin: x0, ymin: y0, xmax: x1, ymax: y1)))
        default:
            break
        }
    }
}

/// The offset of the first `<?` that is not the XML declaration at the start of the document
/// (after an optional UTF-8 byte-order mark and white space), or nil.
func processingInstruction(in b: [UInt8]) -> Int? {
    var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    while i < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 }
    var from = i
    if b[i...].starts(with: Array("<?xml".utf8)), i + 5 < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[i + 5]) {
        // Skip the declaration, up to its `?>`.
        var k = i + 5
        while k + 1 < b.count, !(b[k] == UInt8(ascii: "?") && b[k + 1] == UInt8(ascii: ">")) { k += 1 }
        from = k + 2
    }
    var k = from
    while k + 1 < b.count {
        if b[k] == UInt8(ascii: "<") && b[k + 1] == UInt8(ascii: "?") { return k }
        k += 1
    }
    return nil
}

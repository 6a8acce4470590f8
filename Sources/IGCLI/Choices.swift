import ArgumentParser
import Foundation
import IGExplain
import IGImaging
import IGModel
import IGRender
import IGViewer

// Options whose values are a fixed set: ArgumentParser checks them while parsing (a bad value is a
// usage error, exit 2, naming the option and the choices) and lists the choices in --help.
extension Backend: ExpressibleByArgument {}
extension Reading: ExpressibleByArgument {}
extension ColorMap: ExpressibleByArgument {}
extension ResizeMode: ExpressibleByArgument {}
extension GraphicsChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}
extension ColorChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}
extension Baseline: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public var defaultValueDescription: String { description }
    public static var allValueStrings: [String] { ["black", "mean", "blur[:sigma]", "noise[:seed]"] }
}

/// One or more methods, comma-separated (`grad-cam,igc`): canonical names or
/// aliases, case-insensitive; an empty item (a trailing comma) is ignored.
/// The one parser of `--method` (explain, bench; repeatable) and `--methods`
/// (evaluate): an unknown name fails while parsing (exit 2, listing the
/// choices), a method named twice fails in `joined` (from `validate()`).
struct MethodList: ExpressibleByArgument {
    var methods: [Method]

    init(_ methods: [Method]) { self.methods = methods }

    init?(argument: String) {
        var out = [Method]()
        for item in argument.split(separator: ",", omittingEmptySubsequences: true) {
            let name = item.trimmingCharacters(in: .whitespaces)
            if name.isEmpty { continue }
            guard let m = Method(name: name) else { return nil }
            out.append(m)
        }
        guard !out.isEmpty else { return nil }
        methods = out
    }

    static var allValueStrings: [String] { Method.allCases.map(\.name) }
    var defaultValueDescription: String { methods.map(\.name).joined(separator: ",") }

    /// The methods of every list in order; throws for a method named twice.
    static func joined(_ lists: [MethodList]) throws -> [Method] {
        var out = [Method]()
        for m in lists.flatMap(\.methods) {
            guard !out.contains(m) else { throw ValidationError("method '\(m.name)' is listed twice") }
            out.append(m)
        }
        return out
    }
}

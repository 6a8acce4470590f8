import XCTest
import IGONNX
import IGEngine

final class DumpTests: XCTestCase {
    func testDump() throws {
        for m in Fixtures.models {
            do {
                let g = try ONNXImporter.load(path: Fixtures.path(m))
                print("MODEL", m, g.inputShape, "->", g.shapes[g.output] ?? [])
                for n in g.nodes { print("   ", n.op, n.inputs, "->", n.output, g.shapes[n.output] ?? [], g.aliases[n.output] ?? "") }
            } catch { print("MODEL", m, "ERROR", error) }
        }
        for b in ["bad_erf_op13", "bad_erf_dyn", "bad_gridsample", "bad_nograph", "bad_missing_init", "bad_dtype", "bad_attribute", "bad_external_missing", "bad_truncated", "bad_text", "bad_random"] {
            do { _ = try ONNXImporter.load(path: Fixtures.path(b)); print("BAD", b, "LOADED?!") } catch { print("BAD", b, error) }
        }
    }
}

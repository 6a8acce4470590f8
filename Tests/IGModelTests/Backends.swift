import IGEngine
import XCTest
import IGFast
import IGImaging
import IGModel

/// The two engines these tests hold to PyTorch and onnxruntime. (The command
/// line's `--backend` lives in IGCLI; IGModel runs whatever engine it is given.)
enum Backend: String, CaseIterable {
    case fast, reference

    func engine(_ graph: Graph) throws -> any InferenceEngine {
        switch self {
        case .fast: return try FastEngine(graph: graph)
        case .reference: return ReferenceEngine(graph: graph)
        }
    }
}

extension Model {
    /// A model file run by `backend`.
    convenience init(path: String, backend: Backend, resize: ResizeMode? = nil) throws {
        try self.init(path: path, engine: backend.engine, resize: resize)
    }
}

/// Fails when the fast engine ran a node on the reference because a oneDNN
/// primitive failed to build (which it also says on stderr): every step of
/// these models that oneDNN does by design must be built.
func assertNoBuildFailures(_ model: Model, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    guard let fast = model.engine as? FastEngine else { return }
    XCTAssertEqual(fast.buildFailures, [], "\(what): oneDNN steps failed to build", file: file, line: line)
}

import Foundation
import XCTest
import IGONNX
import IGEngine

/// Paths of the committed ONNX fixtures (made by tools/make_onnx_test_models.py).
enum Fixtures {
    static let dir: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/onnx").path
    }()

    static func path(_ name: String) -> String { dir + "/" + name + ".onnx" }

    /// Model names (without .onnx) that have reference outputs.
    static var models: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return files.filter { $0.hasSuffix(".output.npy") }.map { String($0.dropLast(".output.npy".count)) }.sorted()
    }
}

/// A tiny .npy reader (float32 little-endian, C order) for the test target only.
enum NPY {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func read(_ path: String) throws -> Tensor {
        guard let d = FileManager.default.contents(atPath: path) else { throw Failure(description: "cannot read \(path)") }
        let b = [UInt8](d)
        guard b.count > 10, b[0] == 0x93, String(decoding: b[1..<6], as: UTF8.self) == "NUMPY" else {
            throw Failure(description: "\(path): not an npy file")
        }
        let major = b[6]
        let hlen = major == 1 ? Int(b[8]) | Int(b[9]) << 8 : Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
        let start = major == 1 ? 10 : 12
        guard b.count >= start + hlen else { throw Failure(description: "\(path): short header") }
        let header = String(decoding: b[start ..< start + hlen], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False") else {
            throw Failure(description: "\(path): need <f4 C-order, header \(header)")
        }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw Failure(description: "\(path): no shape in \(header)")
        }
        let shape = header[open.upperBound ..< close].split(separator: ",")
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let n = shape.reduce(1, *)
        let body = start + hlen
        guard b.count == body + 4 * n else { throw Failure(description: "\(path): \(b.count - body) data bytes for shape \(shape)") }
        var data = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let o = body + 4 * i
            data[i] = Float(bitPattern: UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24)
        }
        return Tensor(shape: shape, data: data)
    }
}

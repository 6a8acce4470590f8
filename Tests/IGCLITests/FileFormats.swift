import Foundation
import XCTest

/// A float32 .npy read straight from the bytes (written here from the NumPy
/// format spec, not with the package's reader).
struct NPYFile {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
    var values: [Float]

    init(path: String) throws {
        let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        struct Bad: Error, CustomStringConvertible { var description: String }
        guard b.count >= 10, b[0] == 0x93, Array(b[1...5]) == Array("NUMPY".utf8) else { throw Bad(description: "\(path): no NPY magic") }
        let major = b[6]
        let (headerLen, start): (Int, Int) = major == 1
            ? (Int(b[8]) | Int(b[9]) << 8, 10)
            : (Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24, 12)
        guard b.count >= start + headerLen else { throw Bad(description: "\(path): header runs past the end") }
        guard (start + headerLen) % 16 == 0 else { throw Bad(description: "\(path): data not 16-byte aligned") }
        let header = String(decoding: b[start ..< start + headerLen], as: UTF8.self)
        guard header.hasSuffix("\n") else { throw Bad(description: "\(path): header does not end in a newline") }
        func field(_ key: String, _ pattern: String) -> String? {
            guard let r = header.range(of: "'\(key)':\\s*" + pattern, options: .regularExpression) else { return nil }
            return String(header[r])
        }
        guard let d = field("descr", "'[^']*'"), let f = field("fortran_order", "(True|False)"),
              let s = field("shape", "\\([^)]*\\)") else { throw Bad(description: "\(path): header fields missing: \(header)") }
        descr = String(d.split(separator: "'")[2])
        fortranOrder = f.hasSuffix("True")
        let inner = s[s.index(after: s.firstIndex(of: "(")!) ..< s.lastIndex(of: ")")!]
        shape = inner.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let n = shape.reduce(1, *)
        let body = Array(b[(start + headerLen)...])
        guard descr == "<f4", body.count == 4 * n else {
            values = []
            return
        }
        values = (0..<n).map { i in
            let u = UInt32(body[4 * i]) | UInt32(body[4 * i + 1]) << 8 | UInt32(body[4 * i + 2]) << 16 | UInt32(body[4 * i + 3]) << 24
            return Float(bitPattern: u)
        }
    }
}

/// Width and height of a PNG file, checking the signature and the IHDR chunk.
func pngSize(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> (width: Int, height: Int)? {
    let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let magic: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard b.count > 33, Array(b[0..<8]) == magic, Array(b[12..<16]) == Array("IHDR".utf8) else {
        XCTFail("\(path) is not a PNG (first bytes \(b.prefix(16)))", file: file, line: line)
        return nil
    }
    func be32(_ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
    // The file must end with the IEND chunk: a half-written file would not.
    XCTAssertEqual(Array(b.suffix(8).prefix(4)), Array("IEND".utf8), "\(path) does not end with IEND", file: file, line: line)
    return (be32(16), be32(20))
}

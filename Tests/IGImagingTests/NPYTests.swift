import XCTest
@testable import IGImaging
#if canImport(Glibc)
import Glibc
#endif

final class NPYTests: XCTestCase {
    func testReadsNumpyFiles() throws {
        let f4 = try readNPY(path: fixture("numpy_f4.npy"))
        XCTAssertEqual(f4.shape, [2, 3, 4])
        XCTAssertEqual(f4.data, (0..<24).map { Float($0) * 0.5 - 3.25 })
        let f8 = try readNPY(path: fixture("numpy_f8.npy"))
        XCTAssertEqual(f8.shape, [5])
        XCTAssertEqual(f8.data, [1.5, -2.25, Float(1e-3), Float(3.0e10), -0.0])
        let s = try readNPY(path: fixture("numpy_f4_scalar.npy"))
        XCTAssertEqual(s.shape, []); XCTAssertEqual(s.data, [2.5])
    }

    func testRejectsOtherDtypesClearly() {
        XCTAssertThrowsError(try readNPY(path: fixture("numpy_i4.npy"))) { e in
            let d = "\(e)"
            XCTAssertTrue(d.contains("numpy_i4.npy") && d.contains("<i4"), d)
        }
        XCTAssertThrowsError(try readNPY(path: fixture("photo.png"))) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .unknownFormat)
        }
    }

    func testWriteLayoutAndRoundTrip() throws {
        let dir = makeTempDir(); defer { removeTree(dir) }
        let data: [Float] = (0..<30).map { Float($0) * -0.37 + 1.0 / 3.0 }
        let path = dir + "/a.npy"
        try writeNPY(data, shape: [2, 3, 5], to: path)
        let bytes = try readFileBytes(path)
        let headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual(Array(bytes[0..<8]), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        XCTAssertEqual((10 + headerLen) % 64, 0)
        XCTAssertEqual(bytes.count, 10 + headerLen + 4 * 30)
        let header = String(decoding: bytes[10..<(10 + headerLen)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 5), }"), header)
        XCTAssertEqual(header.last, "\n")
        // first value little-endian float32 of 1/3
        let b0 = UInt32(bytes[10 + headerLen]) | UInt32(bytes[11 + headerLen]) << 8 | UInt32(bytes[12 + headerLen]) << 16 | UInt32(bytes[13 + headerLen]) << 24
        XCTAssertEqual(Float(bitPattern: b0), Float(1.0 / 3.0))
        let back = try readNPY(path: path)
        XCTAssertEqual(back.shape, [2, 3, 5]); XCTAssertEqual(back.data, data)
        try writeNPY([4, 5, 6], shape: [3], to: dir + "/v.npy")
        XCTAssertEqual(try readNPY(path: dir + "/v.npy").shape, [3])
        XCTAssertThrowsError(try writeNPY([1, 2], shape: [3], to: dir + "/bad.npy"))
        XCTAssertEqual(listDir(dir), ["a.npy", "v.npy"])
    }

    func testTruncatedNPY() throws {
        let dir = makeTempDir(); defer { removeTree(dir) }
        let bytes = try readFileBytes(fixture("numpy_f4.npy"))
        for n in [5, 9, 40, bytes.count - 1] {
            writeBytes(Array(bytes[0..<n]), dir + "/t.npy")
            XCTAssertThrowsError(try readNPY(path: dir + "/t.npy"), "cut at \(n)")
        }
    }

    /// With IGCAM_NPY_EXPORT=/some/dir set, writes files for tools/check_npy_with_numpy.py.
    func testExportForNumpyCheck() throws {
        guard let dir = getenv("IGCAM_NPY_EXPORT").map({ String(cString: $0) }) else {
            throw XCTSkip("set IGCAM_NPY_EXPORT=DIR to write the files tools/check_npy_with_numpy.py reads")
        }
        try writeNPY((0..<60).map { Float($0) * 0.25 - 7.5 }, shape: [3, 4, 5], to: dir + "/swift_3x4x5.npy")
        try writeNPY([0.1, -Float.greatestFiniteMagnitude, Float.leastNonzeroMagnitude], shape: [3], to: dir + "/swift_3.npy")
        try writeNPY([42], shape: [], to: dir + "/swift_scalar.npy")
    }
}

import XCTest
@testable import IGImaging

final class AtomicWriteTests: XCTestCase {
    func testUniquePathNeverReuses() throws {
        let dir = makeTempDir(); defer { removeTree(dir) }
        let base = dir + "/cat-overlay"
        var got: [String] = []
        for _ in 0..<3 {
            let p = uniquePath(base: base, ext: "png")
            got.append(p)
            try writeAtomically([1, 2, 3], to: p)
        }
        XCTAssertEqual(got, [base + ".png", base + "-1.png", base + "-2.png"])
        XCTAssertEqual(uniquePath(base: base, ext: ".png"), base + "-3.png")
        XCTAssertEqual(uniquePath(base: base, ext: "npy"), base + ".npy")
    }

    func testReplacesWholeFileAndLeavesNoTemp() throws {
        let dir = makeTempDir(); defer { removeTree(dir) }
        let p = dir + "/f.bin"
        try writeAtomically(Array(repeating: 9, count: 1000), to: p)
        try writeAtomically([1, 2, 3], to: p)
        XCTAssertEqual(try readFileBytes(p), [1, 2, 3])
        XCTAssertEqual(listDir(dir), ["f.bin"])
        XCTAssertThrowsError(try writeAtomically([1], to: dir + "/missing/f.bin")) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .io)
        }
    }
}

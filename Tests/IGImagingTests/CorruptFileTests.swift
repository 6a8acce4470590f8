import XCTest
@testable import IGImaging

final class CorruptFileTests: XCTestCase {
    func kind(_ bytes: [UInt8], _ path: String = "mem.img") -> ImageError.Kind? {
        do { _ = try decodeImage(bytes, path: path); return nil } catch let e as ImageError { return e.kind } catch { XCTFail("\(error)"); return nil }
    }

    func testMissingEmptyUnknown() throws {
        let dir = makeTempDir(); defer { removeTree(dir) }
        XCTAssertThrowsError(try loadImage(path: dir + "/nope.png")) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .missingFile)
            XCTAssertTrue("\(e)".contains("nope.png"))
        }
        writeBytes([], dir + "/empty.png")
        XCTAssertThrowsError(try loadImage(path: dir + "/empty.png")) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .emptyFile)
            XCTAssertTrue("\(e)".contains("empty.png"))
        }
        writeBytes(Array("GIF89a not supported here".utf8), dir + "/a.gif")
        XCTAssertThrowsError(try loadImage(path: dir + "/a.gif")) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .unknownFormat)
            XCTAssertTrue("\(e)".contains("a.gif"))
        }
        XCTAssertThrowsError(try loadImage(path: dir)) { e in XCTAssertEqual((e as? ImageError)?.kind, .io) }
    }

    /// A real PNG cut at many points always throws "truncated".
    func testTruncatedPNG() throws {
        let path = fixture("photo.png")
        let bytes = try readFileBytes(path)
        var cuts = Array(stride(from: 1, to: bytes.count, by: 37))
        cuts += [4, 8, 16, 33, bytes.count - 12, bytes.count - 1]
        for n in cuts {
            XCTAssertEqual(kind(Array(bytes[0..<n])), .truncated, "cut at \(n)")
        }
        XCTAssertThrowsError(try decodeImage(Array(bytes[0..<100]), path: path)) { e in
            XCTAssertTrue("\(e)".contains("photo.png"))
        }
    }

    /// Flipping any single byte of a real PNG is detected (CRCs, chunk walk, zlib).
    func testFlippedBytesPNG() throws {
        for name in ["png_rgb8.png", "photo.png"] {
            let bytes = try readFileBytes(fixture(name))
            for i in 0..<bytes.count {
                var b = bytes; b[i] ^= 0xFF
                XCTAssertNotNil(kind(b), "\(name): flip at \(i) not detected")
            }
        }
    }

    /// A real JPEG cut anywhere throws (truncated, or corrupt if cut inside the header).
    func testTruncatedJPEG() throws {
        for name in ["photo.jpg", "grey.jpg", "cmyk.jpg"] {
            let bytes = try readFileBytes(fixture(name))
            var truncatedKinds = 0
            var cuts = Array(stride(from: 1, to: bytes.count - 2, by: 23))
            cuts += [2, 3, bytes.count - 3]
            for n in cuts {
                let k = kind(Array(bytes[0..<n]))
                XCTAssertNotNil(k, "\(name): cut at \(n) decoded without error")
                if k == .truncated { truncatedKinds += 1 }
            }
            XCTAssertGreaterThan(truncatedKinds, cuts.count / 2, name)
        }
    }

    /// Single-byte flips anywhere in a JPEG never crash or hang. JPEG has no
    /// checksums, so a flip inside quantisation tables or entropy-coded data can
    /// decode to a (wrong) image; flips of the structure - every marker before
    /// the scan and each segment's length high byte - must throw or leave the
    /// decoded image unchanged.
    func testFlippedBytesJPEG() throws {
        for name in ["photo.jpg", "grey.jpg", "cmyk.jpg"] {
            let bytes = try readFileBytes(fixture(name))
            var detected = 0
            for i in 0..<bytes.count {
                var b = bytes; b[i] ^= 0xFF
                if kind(b) != nil { detected += 1 }
            }
            print("\(name): single-byte flips detected \(detected) of \(bytes.count)")
            var structural = [0, 1]
            var pos = 2
            while pos + 4 <= bytes.count, bytes[pos] == 0xFF {
                let marker = bytes[pos + 1]
                structural += [pos, pos + 1, pos + 2]
                if marker == 0xDA { break } // SOS: entropy data follows
                pos += 2 + (Int(bytes[pos + 2]) << 8 | Int(bytes[pos + 3]))
            }
            XCTAssertGreaterThan(structural.count, 12, name)
            // A structural flip must throw - or, where libjpeg resynchronises
            // losslessly (e.g. a DHT segment skipped as extraneous bytes and
            // replaced by the identical standard tables), decode to exactly the
            // original image.
            let original = try decodeImage(bytes, path: name)
            for i in structural {
                var b = bytes; b[i] ^= 0xFF
                if let img = try? decodeImage(b, path: name) {
                    XCTAssertEqual(img, original, "\(name): structural flip at \(i) gave a different image without an error")
                }
            }
        }
    }

    /// Valid JPEG headers followed by random garbage instead of scan data: throws, no hang.
    func testGarbageScanData() throws {
        let bytes = try readFileBytes(fixture("photo.jpg"))
        var pos = 2
        while bytes[pos + 1] != 0xDA { pos += 2 + (Int(bytes[pos + 2]) << 8 | Int(bytes[pos + 3])) }
        let scanStart = pos + 2 + (Int(bytes[pos + 2]) << 8 | Int(bytes[pos + 3]))
        var seed: UInt64 = 99
        for trial in 0..<20 {
            var b = Array(bytes[0..<scanStart])
            for _ in 0..<(200 * (trial + 1)) {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                b.append(UInt8(truncatingIfNeeded: seed >> 56))
            }
            XCTAssertNotNil(kind(b), "trial \(trial)")
        }
    }

    /// A forged giant PNG header is refused before allocating.
    func testForgedHugePNG() throws {
        // 8x6 PNG with IHDR width/height rewritten to 60000x60000 and the CRC fixed.
        var b = try readFileBytes(fixture("png_rgb8.png"))
        let big: [UInt8] = [0, 0, 0xEA, 0x60]
        for k in 0..<4 { b[16 + k] = big[k]; b[20 + k] = big[k] }
        let crc = crc32(Array(b[12..<29]))
        for k in 0..<4 { b[29 + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * k)) }
        XCTAssertThrowsError(try decodeImage(b, path: "huge.png")) { e in
            XCTAssertTrue("\(e)".contains("huge.png"), "\(e)")
        }
    }

    private func crc32(_ d: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in d {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }
}

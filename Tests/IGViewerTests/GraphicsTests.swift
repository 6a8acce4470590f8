import Foundation
import IGImaging
@testable import IGViewer
import XCTest

final class GraphicsTests: XCTestCase {
    func testChoiceAndDetection() {
        XCTAssertNil(chooseGraphics(.off, environment: [:], ask: { _ in XCTFail("no query"); return "" }).0)
        XCTAssertEqual(chooseGraphics(.sixel, environment: [:], ask: { _ in XCTFail("no query"); return "" }).0, .sixel)
        XCTAssertEqual(chooseGraphics(.kitty, environment: [:], ask: { _ in "" }).0, .kitty)
        // auto: what the terminal answers decides.
        var asked = ""
        XCTAssertEqual(chooseGraphics(.auto, environment: [:], ask: { q in asked = q; return "\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?62;22c" }).0, .kitty)
        XCTAssertTrue(asked.contains("a=q") && asked.hasSuffix("\u{1B}[c"), "kitty's query, then DA1")
        XCTAssertEqual(chooseGraphics(.auto, environment: [:], ask: { _ in "\u{1B}[?63;1;2;4;6;9;15;22c" }).0, .sixel, "xterm -ti vt340 style")
        XCTAssertEqual(chooseGraphics(.auto, environment: [:], ask: { _ in "\u{1B}[?4;6c" }).0, .sixel)
        XCTAssertNil(chooseGraphics(.auto, environment: [:], ask: { _ in "\u{1B}[?1;2c" }).0, "tmux without sixel")
        XCTAssertNil(chooseGraphics(.auto, environment: [:], ask: { _ in "\u{1B}[?62;14;22c" }).0, "14 is not 4")
        XCTAssertNil(chooseGraphics(.auto, environment: [:], ask: { _ in "" }).0)
        XCTAssertNil(chooseGraphics(.auto, environment: ["TERM_PROGRAM": "iTerm.app"], ask: { _ in XCTFail("no query"); return "" }).0)
        XCTAssertEqual(GraphicsChoice(rawValue: "auto"), .auto)
        XCTAssertNil(GraphicsChoice(rawValue: "iterm"))
    }

    func testKittyChunksCarryThePixels() throws {
        var img = RGBImage(width: 50, height: 40)
        for y in 0..<40 { for x in 0..<50 { img.setPixel(x: x, y: y, (UInt8(x * 5), UInt8(y * 6), UInt8((x + y) % 256))) } }
        let s = String(decoding: kittyTransmit(img, id: 1), as: UTF8.self)
        let chunks = s.components(separatedBy: "\u{1B}_G").dropFirst()
        XCTAssertGreaterThan(chunks.count, 1, "6000 bytes are more than one 4096-byte base64 chunk")
        var b64 = ""
        for (i, c) in chunks.enumerated() {
            XCTAssertTrue(c.hasSuffix("\u{1B}\\"))
            let body = c.dropLast(2)
            let parts = body.split(separator: ";", maxSplits: 1)
            let keys = parts[0]
            if i == 0 { XCTAssertTrue(keys.hasPrefix("a=t,f=24,s=50,v=40,i=1"), String(keys)) }
            XCTAssertTrue(keys.hasSuffix(i == chunks.count - 1 ? "m=0" : "m=1"), String(keys))
            XCTAssertLessThanOrEqual(parts[1].count, 4096)
            b64 += parts[1]
        }
        XCTAssertEqual(Data(base64Encoded: b64).map { [UInt8]($0) }, img.pixels)
    }

    func testPlacementOnlyInSingleViews() throws {
        var s = try loadedState()
        let p = try XCTUnwrap(GraphicsOutput.placement(s, width: 120, height: 40, cell: (10, 20)))
        XCTAssertEqual(p.pixelWidth, p.columns * 10)
        XCTAssertEqual(p.pixelHeight, p.rows * 20)
        let lay = Layout(width: 120, height: 40)
        XCTAssertGreaterThanOrEqual(p.x, lay.image.x)
        XCTAssertLessThanOrEqual(p.x + p.columns, lay.image.x + lay.image.width)
        s.view = .grid
        XCTAssertNil(GraphicsOutput.placement(s, width: 120, height: 40, cell: (10, 20)))
        s.view = .overlay; s.compare = .method(.gradCAM)
        XCTAssertNil(GraphicsOutput.placement(s, width: 120, height: 40, cell: (10, 20)))
        s.compare = nil; s.input = .help
        XCTAssertNil(GraphicsOutput.placement(s, width: 120, height: 40, cell: (10, 20)))
        s.input = .normal
        XCTAssertNil(GraphicsOutput.placement(s, width: 30, height: 10, cell: (10, 20)), "too small")
        // A display key changes the picture's key.
        let o = reduce(s, .char("o")).0
        XCTAssertNotEqual(GraphicsOutput.placement(o, width: 120, height: 40, cell: (10, 20))?.key, p.key)
    }
}

import Foundation
import IGImaging
@testable import IGViewer
import XCTest

/// `--graphics sixel` in tmux: the bytes the pane receives (pipe-pane) hold a
/// sixel image; decoded back to pixels it is the overlay of the map that
/// `igcam explain --raw` writes (PSNR). `--graphics auto` asks the terminal
/// (tmux answers DA1) and does not hang.
final class TmuxGraphicsTests: ViewerE2ETestCase {
    /// A sixel decoder (VT340 format: `#i;2;r;g;b` percent registers, `#i`, `!n`, `$`, `-`).
    func decodeSixel(_ s: [UInt8]) -> (width: Int, height: Int, pixels: [[UInt8]?]) {
        var i = 0
        while i < s.count && s[i] != UInt8(ascii: "q") { i += 1 }
        i += 1
        func number() -> Int {
            var v = 0
            while i < s.count, (48...57).contains(s[i]) { v = v * 10 + Int(s[i] - 48); i += 1 }
            return v
        }
        var width = 0, height = 0
        if i < s.count, s[i] == UInt8(ascii: "\"") {
            i += 1; _ = number(); i += 1; _ = number(); i += 1; width = number(); i += 1; height = number()
        }
        var regs = [Int: [UInt8]](), px = [[UInt8]?](repeating: nil, count: width * height)
        var cur = 0, x = 0, band = 0
        while i < s.count, s[i] != 0x1B {
            if s[i] == UInt8(ascii: "#") {
                i += 1
                let n = number()
                if i < s.count, s[i] == UInt8(ascii: ";") {
                    i += 1; _ = number(); i += 1
                    let a = number(); i += 1; let b = number(); i += 1; let d = number()
                    regs[n] = [a, b, d].map { UInt8(($0 * 255 + 50) / 100) }
                }
                cur = n
                continue
            }
            var rep = 1
            if s[i] == UInt8(ascii: "!") { i += 1; rep = number() }
            let ch = s[i]; i += 1
            if ch == UInt8(ascii: "$") { x = 0 } else if ch == UInt8(ascii: "-") { x = 0; band += 1 } else if (0x3F...0x7E).contains(ch) {
                for _ in 0..<rep {
                    for r in 0..<6 where (Int(ch) - 63) & (1 << r) != 0 {
                        let y = band * 6 + r
                        if x < width && y < height { px[y * width + x] = regs[cur] }
                    }
                    x += 1
                }
            }
        }
        return (width, height, px)
    }

    func testSixelPictureIsTheOverlay() throws {
        let dir = NSTemporaryDirectory() + "igcam-gfx-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let npy = dir + "/map.npy", pipe = dir + "/pane.bin"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["explain", cat, "--raw", npy]
        p.standardOutput = FileHandle.nullDevice
        try p.run(); p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let raw = try readNPY(path: npy)

        let s = try TmuxSession(command: "cd '\(root)' && env COLORTERM=truecolor '\(binary)' view --graphics sixel '\(cat)' 2>{STDERR}", width: 100, height: 34)
        defer { s.kill() }
        _ = s.tmux(["pipe-pane", "-t", "S", "-o", "cat >> '\(pipe)'"])
        s.wait(240, "the first map and its ladder") { $0.contains("last ") && $0.contains("6/6") }
        usleep(500_000)
        XCTAssertEqual(s.quit(), 0)
        let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: pipe))) ?? Data())
        // The last sixel image the viewer wrote (DCS P0;1;0q ... ST).
        let start = Array("\u{1B}P0;1;0q".utf8)
        var last: Int?
        var i = 0
        while i + start.count <= bytes.count {
            if bytes[i] == 0x1B && Array(bytes[i..<(i + start.count)]) == start { last = i }
            i += 1
        }
        let from = try XCTUnwrap(last, "a sixel image was written")
        var to = from
        while to + 1 < bytes.count && !(bytes[to] == 0x1B && bytes[to + 1] == UInt8(ascii: "\\")) { to += 1 }
        let d = decodeSixel(Array(bytes[from...min(to + 1, bytes.count - 1)]))
        XCTAssertGreaterThan(d.width, 100)
        XCTAssertTrue(d.pixels.allSatisfy { $0 != nil }, "every pixel painted")
        // Expected: the photo at that size with the .npy map over the crop the network sees (jet, 0.5).
        let photo = try loadImage(path: cat)
        let base = resizeBilinear(photo, width: d.width, height: d.height)
        let reg = scaleRegion(inputRegion(imageWidth: photo.width, imageHeight: photo.height, resize: .crop, inputHeight: 224, inputWidth: 224),
                              from: (photo.width, photo.height), to: (d.width, d.height))
        let want = Composer.picture(base, view: .overlay, map: MapResult(map: raw.data, width: raw.shape[1], height: raw.shape[0], done: 1, total: 1, seconds: 1),
                                    colorMap: .jet, opacity: 0.5, region: reg)
        var se = 0.0
        for k in 0..<(d.width * d.height) {
            let q = d.pixels[k] ?? [0, 0, 0]
            for c in 0..<3 { let e = Double(want.pixels[3 * k + c]) - Double(q[c]); se += e * e }
        }
        let psnr = 10 * log10(255 * 255 / (se / Double(3 * d.width * d.height)))
        print(String(format: "SIXEL viewer %dx%d: PSNR %.1f dB against the overlay of the .npy map", d.width, d.height, psnr))
        XCTAssertGreaterThan(psnr, 30)
        // Without the map (the photo alone) it would be far worse: the heat map is in the picture.
        var sp = 0.0
        for k in 0..<(d.width * d.height) {
            let q = d.pixels[k] ?? [0, 0, 0]
            for c in 0..<3 { let e = Double(base.pixels[3 * k + c]) - Double(q[c]); sp += e * e }
        }
        XCTAssertLessThan(10 * log10(255 * 255 / (sp / Double(3 * d.width * d.height))), psnr - 6)
    }

    func testAutoAsksAndFallsBack() throws {
        let s = try TmuxSession(command: "cd '\(root)' && env COLORTERM=truecolor '\(binary)' view --graphics auto '\(cat)' 2>{STDERR}", width: 100, height: 34)
        defer { s.kill() }
        let t = s.wait(60, "the graphics note") { $0.contains("graphics: ") }
        XCTAssertTrue(t.contains("graphics: sixel (detected)") || t.contains("graphics: none detected, blocks"), t)
        XCTAssertEqual(s.quit(), 0)
    }
}

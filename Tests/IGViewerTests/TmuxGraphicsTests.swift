import Foundation
import IGImaging
import IGRender
@testable import IGViewer
import XCTest

/// `--graphics sixel` and `iterm` in tmux: the bytes the pane receives
/// (pipe-pane) hold the pictures; decoded back to pixels they are the overlay
/// of the map that `igcam explain --raw` writes (PSNR), and for sixel the
/// probe's cross-hair is drawn over the picture (small patches) where the
/// probe is, and erased where it was. `--graphics auto` asks the terminal
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

    /// The photo at `width` x `height` with the .npy map over the crop the network sees (jet, 0.5): what the panel should show.
    func expectedOverlay(_ raw: (data: [Float], shape: [Int]), width: Int, height: Int) throws -> (RGBImage, RGBImage, Region) {
        let photo = try loadImage(path: cat)
        let base = resizeBilinear(photo, width: width, height: height)
        let reg = scaleRegion(inputRegion(imageWidth: photo.width, imageHeight: photo.height, resize: .crop, inputHeight: 224, inputWidth: 224),
                              from: (photo.width, photo.height), to: (width, height))
        let want = Composer.picture(base, view: .overlay, map: MapResult(map: raw.data, width: raw.shape[1], height: raw.shape[0], done: 1, total: 1, seconds: 1),
                                    colorMap: .jet, opacity: 0.5, region: reg)
        return (want, base, reg)
    }

    func psnr(_ a: RGBImage, _ b: [[UInt8]?], width: Int, height: Int) -> Double {
        var se = 0.0
        for k in 0..<(width * height) {
            let q = b[k] ?? [0, 0, 0]
            for c in 0..<3 { let e = Double(a.pixels[3 * k + c]) - Double(q[c]); se += e * e }
        }
        return se == 0 ? .infinity : 10 * log10(255 * 255 / (se / Double(3 * width * height)))
    }

    /// The bytes the viewer sent to the pane with `--graphics PROTO` on the cat, after `keys`.
    func paneBytes(_ proto: String, _ dir: String, keys: (TmuxSession) -> Void) throws -> [UInt8] {
        let pipe = dir + "/pane.bin"
        let s = try TmuxSession(command: "cd '\(root)' && env COLORTERM=truecolor '\(binary)' view --graphics \(proto) '\(cat)' 2>{STDERR}", width: 100, height: 34)
        defer { s.kill() }
        _ = s.tmux(["pipe-pane", "-t", "S", "-o", "cat >> '\(pipe)'"])
        keys(s)
        usleep(800_000)
        XCTAssertEqual(s.quit(), 0)
        return [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: pipe))) ?? Data())
    }

    /// The sixel images in `bytes` (DCS P0;1;0q ... ST), each with the screen cell the cursor was moved to before it.
    func sixelImages(_ bytes: [UInt8]) -> [(x: Int, y: Int, image: (width: Int, height: Int, pixels: [[UInt8]?]))] {
        let start = Array("\u{1B}P0;1;0q".utf8)
        var out = [(x: Int, y: Int, image: (width: Int, height: Int, pixels: [[UInt8]?]))]()
        var i = 0
        while i + start.count <= bytes.count {
            guard bytes[i] == 0x1B, Array(bytes[i..<(i + start.count)]) == start else { i += 1; continue }
            // The cursor position written just before it: ESC [ row ; col H.
            var j = i - 1
            while j > 0, bytes[j] != 0x1B { j -= 1 }
            let cup = String(decoding: bytes[min(j + 2, i)..<max(j + 2, i - 1)], as: UTF8.self).split(separator: ";").compactMap { Int($0) }
            var to = i
            while to + 1 < bytes.count && !(bytes[to] == 0x1B && bytes[to + 1] == UInt8(ascii: "\\")) { to += 1 }
            let img = decodeSixel(Array(bytes[i...min(to + 1, bytes.count - 1)]))
            out.append((cup.count == 2 ? cup[1] - 1 : -1, cup.count == 2 ? cup[0] - 1 : -1, img))
            i = to + 2
        }
        return out
    }

    func testSixelPictureIsTheOverlayWithTheProbe() throws {
        let dir = NSTemporaryDirectory() + "igcam-gfx-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let raw = try rawMap(dir)
        let (mh, mw) = (raw.shape[0], raw.shape[1])
        // The probe on (its start: the largest cell), walked to the top-left corner, then to (2, 3).
        let bytes = try paneBytes("sixel", dir) { s in
            s.wait(240, "the first map and its ladder") { $0.contains("last ") && $0.contains("6/6") }
            s.keys("x")
            s.wait(10, "probe on") { $0.contains("probe ") }
            usleep(300_000)
            for _ in 0..<(mh + mw) { s.keys("Up", "Left") }
            s.wait(10, "probe at 0,0") { $0.contains("probe 0,0 of") }
            usleep(300_000)
            s.keys("Down", "Down", "Right", "Right", "Right")
            s.wait(10, "probe at 2,3") { $0.contains("probe 2,3 of") }
        }
        let images = sixelImages(bytes)
        // The last full picture, then the marker patches written over it.
        let fullWidth = try XCTUnwrap(images.map { $0.image.width }.max(), "a sixel image was written")
        let last = try XCTUnwrap(images.lastIndex { $0.image.width == fullWidth })
        let full = images[last]
        let (W, H) = (full.image.width, full.image.height)
        XCTAssertGreaterThan(W, 100)
        XCTAssertTrue(full.image.pixels.allSatisfy { $0 != nil }, "every pixel painted")
        let photo = try loadImage(path: cat)
        let area = Layout(width: 100, height: 34).image
        let fit = fitGrid(imageWidth: photo.width, imageHeight: photo.height, maxColumns: area.width, maxRows: area.height)
        let (cw, ch) = (W / fit.columns, H / fit.rows)
        XCTAssertEqual(W, fit.columns * cw)
        var px = full.image.pixels
        var patches = 0
        for p in images[(last + 1)...] {
            let ox = (p.x - full.x) * cw, oy = (p.y - full.y) * ch
            XCTAssertTrue(ox >= 0 && oy >= 0 && ox + p.image.width <= W && oy + p.image.height <= H, "a patch inside the picture")
            XCTAssertLessThanOrEqual(p.image.width, 3 * cw, "patches of at most 3 x 3 cells")
            for y in 0..<p.image.height { for x in 0..<p.image.width where ox + x < W && oy + y < H {
                if let v = p.image.pixels[y * p.image.width + x] { px[(oy + y) * W + ox + x] = v }
            } }
            patches += 1
        }
        XCTAssertGreaterThanOrEqual(patches, 1, "the marker is drawn as a patch, not by re-sending the picture")
        let (want, base, reg) = try expectedOverlay(raw, width: W, height: H)
        let db = psnr(want, px, width: W, height: H)
        print(String(format: "SIXEL viewer %dx%d: PSNR %.1f dB against the overlay of the .npy map (with the probe's marker, %d patches)", W, H, db, patches))
        XCTAssertGreaterThan(db, 30)
        // Without the map (the photo alone) it would be far worse: the heat map is in the picture.
        XCTAssertLessThan(psnr(base, px, width: W, height: H), db - 6)
        // The cross-hair at the centre of map cell (2, 3): black arms with white borders.
        func centre(_ r: Int, _ c: Int) -> (Int, Int) {
            (Int((Double(reg.x) + (Double(c) + 0.5) * Double(reg.width) / Double(mw))), Int((Double(reg.y) + (Double(r) + 0.5) * Double(reg.height) / Double(mh))))
        }
        func dark(_ v: [UInt8]?) -> Bool { (v ?? [255]).allSatisfy { $0 < 60 } }
        func light(_ v: [UInt8]?) -> Bool { (v ?? [0]).allSatisfy { $0 > 195 } }
        let arm = min(cw, ch)
        func crossHair(_ m: (Int, Int)) -> Int {
            var n = 0
            for d in 4..<arm {
                for (x, y, bx, by) in [(m.0 + d, m.1, m.0 + d, m.1 - 1), (m.0 - d, m.1, m.0 - d, m.1 + 1), (m.0, m.1 + d, m.0 + 1, m.1 + d), (m.0, m.1 - d, m.0 - 1, m.1 - d)]
                where x >= 1 && y >= 1 && x < W - 1 && y < H - 1 {
                    if dark(px[y * W + x]) && light(px[by * W + bx]) { n += 1 }
                }
            }
            return n
        }
        let here = crossHair(centre(2, 3)), there = crossHair(centre(0, 0))
        print("SIXEL probe marker: \(here) cross-hair pixels at (2, 3), \(there) at (0, 0) where it was before")
        XCTAssertGreaterThan(here, 3 * (arm - 4), "the cross-hair is drawn over the picture at the probe")
        XCTAssertLessThan(there, 4, "the old marker was erased")
    }

    /// A decoded iTerm2 inline image: the cell it was written at and its PNG's pixels.
    func itermImages(_ bytes: [UInt8], _ dir: String) throws -> [(x: Int, y: Int, image: RGBImage, head: String)] {
        let text = String(decoding: bytes, as: UTF8.self)
        var out = [(x: Int, y: Int, image: RGBImage, head: String)]()
        var rest = text[...]
        while let r = rest.range(of: "\u{1B}]1337;File=") {
            let before = rest[..<r.lowerBound]
            let cup = before.range(of: "\u{1B}[", options: .backwards).map { before[$0.upperBound...].dropLast() }?.split(separator: ";").compactMap { Int($0) } ?? []
            guard let colon = rest[r.upperBound...].firstIndex(of: ":"), let bel = rest[colon...].firstIndex(of: "\u{07}") else { break }
            let png = try XCTUnwrap(Data(base64Encoded: String(rest[rest.index(after: colon)..<bel])), "base64 PNG")
            let path = dir + "/iterm-\(out.count).png"
            try png.write(to: URL(fileURLWithPath: path))
            out.append((cup.count == 2 ? cup[1] - 1 : -1, cup.count == 2 ? cup[0] - 1 : -1, try loadImage(path: path), String(rest[r.upperBound..<colon])))
            rest = rest[bel...]
        }
        return out
    }

    func testITermPictureIsTheOverlay() throws {
        let dir = NSTemporaryDirectory() + "igcam-iterm-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let raw = try rawMap(dir)
        let bytes = try paneBytes("iterm", dir) { s in
            let t = s.wait(240, "the first map") { $0.contains("last ") }
            XCTAssertTrue(t.contains("graphics: iTerm2"), t)
        }
        let images = try itermImages(bytes, dir)
        let last = try XCTUnwrap(images.last, "an OSC 1337 image was written")
        let (W, H) = (last.image.width, last.image.height)
        let photo = try loadImage(path: cat)
        let area = Layout(width: 100, height: 34).image
        let fit = fitGrid(imageWidth: photo.width, imageHeight: photo.height, maxColumns: area.width, maxRows: area.height)
        XCTAssertTrue(last.head.contains("inline=1") && last.head.contains("width=\(fit.columns);height=\(fit.rows)"), last.head)
        XCTAssertEqual(last.x, area.x + (area.width - fit.columns) / 2)
        XCTAssertEqual(W % fit.columns, 0, "whole cells")
        let (want, base, _) = try expectedOverlay(raw, width: W, height: H)
        var got = [[UInt8]?]()
        got.reserveCapacity(W * H)
        let px = last.image.pixels
        for k in 0..<(W * H) {
            let rgb: [UInt8] = [px[3 * k], px[3 * k + 1], px[3 * k + 2]]
            got.append(rgb)
        }
        let db = psnr(want, got, width: W, height: H)
        print(String(format: "ITERM viewer %dx%d: PSNR %.1f dB against the overlay of the .npy map", W, H, db))
        XCTAssertGreaterThan(db, 40, "a PNG: lossless")
        XCTAssertLessThan(psnr(base, got, width: W, height: H), db - 6)
    }

    func testAutoAsksAndFallsBack() throws {
        let s = try TmuxSession(command: "cd '\(root)' && env COLORTERM=truecolor '\(binary)' view --graphics auto --no-mouse '\(cat)' 2>{STDERR}", width: 100, height: 34)
        defer { s.kill() }
        let t = s.wait(60, "the graphics note") { $0.contains("graphics: ") }
        XCTAssertTrue(t.contains("graphics: sixel (detected)") || t.contains("graphics: none detected, blocks"), t)
        XCTAssertFalse(t.contains("mouse on"), "--no-mouse: the mouse is left to the terminal")
        XCTAssertEqual(s.quit(), 0)
    }
}

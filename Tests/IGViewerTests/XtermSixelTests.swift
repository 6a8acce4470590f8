import Foundation
import IGImaging
import IGRender
@testable import IGViewer
import XCTest

/// A terminal that really draws sixel: xterm as a VT340 (256 colour registers) on a
/// virtual X display (Xvfb), running `igcam view --graphics sixel`; a screenshot of the
/// display (xwd) holds the picture where the viewer placed it, and it is the overlay of
/// the map `igcam explain --raw` writes (PSNR). Skips without Xvfb, xterm and xwd
/// (Debian: xvfb xterm x11-apps xfonts-base; `make test` installs them).
final class XtermSixelTests: ViewerE2ETestCase {
    func tool(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/", "/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// An X window dump (xwd -out): 24-bit TrueColor, 32 bits per pixel, as Xvfb writes it.
    func readXWD(_ path: String) throws -> RGBImage {
        let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard d.count >= 100 else { throw NSError(domain: "xwd", code: 1, userInfo: [NSLocalizedDescriptionKey: "short xwd file"]) }
        // The header: 25 big-endian 32-bit fields.
        func u32(_ i: Int) -> Int { Int(d[4 * i]) << 24 | Int(d[4 * i + 1]) << 16 | Int(d[4 * i + 2]) << 8 | Int(d[4 * i + 3]) }
        let headerSize = u32(0), w = u32(4), h = u32(5), byteOrder = u32(7), bpp = u32(11), bpl = u32(12)
        let masks = [u32(14), u32(15), u32(16)], ncolors = u32(19)
        guard bpp == 32, w > 0, h > 0 else { throw NSError(domain: "xwd", code: 2, userInfo: [NSLocalizedDescriptionKey: "xwd: \(bpp) bits per pixel"]) }
        let off = headerSize + 12 * ncolors
        guard d.count >= off + bpl * h else { throw NSError(domain: "xwd", code: 3, userInfo: [NSLocalizedDescriptionKey: "xwd: truncated"]) }
        let shifts = masks.map { $0.trailingZeroBitCount }
        var img = RGBImage(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                let p = off + y * bpl + 4 * x
                let v = byteOrder == 0 ? Int(d[p]) | Int(d[p + 1]) << 8 | Int(d[p + 2]) << 16 | Int(d[p + 3]) << 24
                                       : Int(d[p]) << 24 | Int(d[p + 1]) << 16 | Int(d[p + 2]) << 8 | Int(d[p + 3])
                img.setPixel(x: x, y: y, (UInt8((v & masks[0]) >> shifts[0]), UInt8((v & masks[1]) >> shifts[1]), UInt8((v & masks[2]) >> shifts[2])))
            }
        }
        return img
    }

    func testXtermDrawsTheSixelPicture() throws {
        guard let xvfb = tool("Xvfb"), let xterm = tool("xterm"), let xwd = tool("xwd") else {
            throw XCTSkip("needs Xvfb, xterm and xwd (Debian: apt-get install xvfb xterm x11-apps xfonts-base)")
        }
        let dir = NSTemporaryDirectory() + "igcam-xterm-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let photoPath = dir + "/cat.png"
        try FileManager.default.copyItem(atPath: cat, toPath: photoPath)

        // The map the viewer will show (its defaults), from the CLI.
        let raw = try rawMap(dir)

        // A free display number.
        guard let n = (90..<190).first(where: { !FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\($0)") && !FileManager.default.fileExists(atPath: "/tmp/.X\($0)-lock") }) else {
            throw XCTSkip("no free X display number")
        }
        let x = Process()
        x.executableURL = URL(fileURLWithPath: xvfb)
        x.arguments = [":\(n)", "-screen", "0", "800x600x24", "-nolisten", "tcp"]
        x.standardOutput = FileHandle.nullDevice; x.standardError = FileHandle.nullDevice
        try x.run()
        defer { x.terminate(); x.waitUntilExit() }
        let up = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\(n)") && Date() < up { usleep(50_000) }
        guard FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\(n)") else { return XCTFail("Xvfb :\(n) did not start") }

        // The viewer in xterm (VT340, 256 colour registers, font 6x13, no borders, at the
        // screen's top-left): wait for the map, save it (the test's signal), stay open.
        let script = dir + "/talk.txt"
        try "wait\nsleep 1\ns\nsleep 120\nq\n".write(toFile: script, atomically: true, encoding: .utf8)
        let t = Process()
        t.executableURL = URL(fileURLWithPath: xterm)
        t.arguments = ["-display", ":\(n)", "-ti", "vt340", "-xrm", "XTerm*numColorRegisters: 256", "-xrm", "XTerm*decGraphicsID: vt340",
                       "-fn", "6x13", "-geometry", "100x34+0+0", "-bw", "0", "-b", "0", "-e", "/bin/sh", "-c",
                       "cd '\(root)' && TERM=xterm-256color COLORTERM=truecolor '\(binary)' view --graphics sixel --script '\(script)' '\(photoPath)' 2>'\(dir)/err'"]
        t.standardOutput = FileHandle.nullDevice; t.standardError = FileHandle.nullDevice
        try t.run()
        defer { if t.isRunning { t.terminate() }; t.waitUntilExit() }
        let saved = Date().addingTimeInterval(240)
        func savedFile() -> Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains { $0.hasPrefix("cat-") && $0.hasSuffix(".png") }
        }
        while !savedFile() && Date() < saved && t.isRunning { usleep(200_000) }
        guard savedFile() else {
            return XCTFail("the viewer in xterm did not get to its first map (xterm running: \(t.isRunning)); stderr: \((try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "")")
        }
        sleep(3)   // the picture of the final map is encoded in the background, then written

        let shot = dir + "/shot.xwd"
        let w = Process()
        w.executableURL = URL(fileURLWithPath: xwd)
        w.arguments = ["-root", "-display", ":\(n)", "-silent", "-out", shot]
        try w.run(); w.waitUntilExit()
        XCTAssertEqual(w.terminationStatus, 0)
        let screen = try readXWD(shot)

        // Where the viewer put the picture: the image panel's cells at 6 x 13 pixels.
        let photo = try loadImage(path: cat)
        let area = Layout(width: 100, height: 34).image
        let fit = fitGrid(imageWidth: photo.width, imageHeight: photo.height, maxColumns: area.width, maxRows: area.height)
        let (cw, ch) = (6, 13)
        let (W, H) = (fit.columns * cw, fit.rows * ch)
        let (x0, y0) = ((area.x + (area.width - fit.columns) / 2) * cw, (area.y + (area.height - fit.rows) / 2) * ch)
        XCTAssertLessThanOrEqual(x0 + W, screen.width); XCTAssertLessThanOrEqual(y0 + H, screen.height)
        let base = resizeBilinear(photo, width: W, height: H)
        let reg = scaleRegion(inputRegion(imageWidth: photo.width, imageHeight: photo.height, resize: .crop, inputHeight: 224, inputWidth: 224),
                              from: (photo.width, photo.height), to: (W, H))
        let want = Composer.picture(base, view: .overlay, map: MapResult(map: raw.data, width: raw.shape[1], height: raw.shape[0], done: 1, total: 1, seconds: 1),
                                    colorMap: .jet, opacity: 0.5, region: reg)
        func psnr(_ a: RGBImage, dx: Int, dy: Int) -> Double {
            var se = 0.0
            for y in 0..<H {
                for x in 0..<W {
                    let p = a.pixel(x: x, y: y), q = screen.pixel(x: x0 + dx + x, y: y0 + dy + y)
                    let e = [Double(p.0) - Double(q.0), Double(p.1) - Double(q.1), Double(p.2) - Double(q.2)]
                    se += e.reduce(0) { $0 + $1 * $1 }
                }
            }
            return se == 0 ? .infinity : 10 * log10(255 * 255 / (se / Double(3 * W * H)))
        }
        let db = psnr(want, dx: 0, dy: 0)
        print(String(format: "XTERM vt340 sixel %dx%d at (%d, %d): PSNR %.1f dB against the overlay of the .npy map (plain photo: %.1f dB)",
                     W, H, x0, y0, db, psnr(base, dx: 0, dy: 0)))
        XCTAssertGreaterThan(db, 32, "xterm drew the picture where the viewer placed it (block characters give about 28 dB, a blank area far less)")
        XCTAssertLessThan(psnr(base, dx: 0, dy: 0), db - 4, "with the heat map")
    }
}

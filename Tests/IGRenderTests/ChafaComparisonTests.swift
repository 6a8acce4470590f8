import XCTest
import Foundation
import IGImaging
@testable import IGRender

/// Renders the test images with IGRender and with chafa (same cell grid,
/// `--stretch`), decodes both back to 8x16 pixels per cell and compares PSNR
/// against the area-resampled image. chafa's block elements are decoded
/// exactly; its box-drawing glyphs with IGRender's approximate masks
/// (BoxDrawing.swift); other glyphs count as background and are reported.
///
/// Environment (used by tools/render_psnr.sh): IGRENDER_IMAGES = a directory
/// of NAME_WxH.rgb files (default: Tests/Fixtures/render), IGRENDER_GRID =
/// "COLSxROWS" box to fit into (default 50x50 -> 50x17 for 3:2 images).
final class ChafaComparisonTests: XCTestCase {
    func chafaPath() -> String? {
        for d in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let p = "\(d)/chafa"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    func runChafa(_ chafa: String, _ ppm: URL, _ cols: Int, _ rows: Int, _ extra: [String]) throws -> CellGrid {
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: chafa)
        proc.arguments = ["--size", "\(cols)x\(rows)", "--stretch", "--format", "symbols", "-O", "0", "--animate", "off", "--polite", "on"] + extra + [ppm.path]
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        proc.environment = env
        let out = Pipe(), err = Pipe()
        proc.standardOutput = out; proc.standardError = err
        try proc.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        proc.waitUntilExit()
        guard proc.terminationStatus == 0 else {
            throw NSError(domain: "chafa", code: Int(proc.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "chafa \(extra) failed: \(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))"])
        }
        let g = try parseANSI(String(decoding: data, as: UTF8.self))
        guard g.width == cols, g.height == rows else {
            throw NSError(domain: "chafa", code: 1, userInfo: [NSLocalizedDescriptionKey: "chafa \(extra) gave \(g.width)x\(g.height) cells, expected \(cols)x\(rows)"])
        }
        return g
    }

    func writePPM(_ img: RGBImage, _ url: URL) throws {
        var d = Data("P6\n\(img.width) \(img.height)\n255\n".utf8)
        d.append(contentsOf: img.pixels)
        try d.write(to: url)
    }

    func testAgainstChafa() throws {
        guard let chafa = chafaPath() else { throw XCTSkip("chafa not installed") }
        let env = ProcessInfo.processInfo.environment
        let dir = env["IGRENDER_IMAGES"].map { URL(fileURLWithPath: $0) } ?? Fixtures.dir
        var box = (50, 50)
        if let g = env["IGRENDER_GRID"]?.split(separator: "x"), g.count == 2, let c = Int(g[0]), let r = Int(g[1]) { box = (c, r) }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".rgb") }.sorted()
        XCTAssertFalse(files.isEmpty, "no .rgb images in \(dir.path)")
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("igrender-chafa-\(getpid())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        print("| image | grid | mode | IGRender half ▀ | IGRender blocks | IGRender blocks + k-means 240 | chafa default | chafa -w 9 | chafa block+space | chafa cells with box glyphs |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for f in files {
            let img = try Fixtures.loadRGB(dir.appendingPathComponent(f))
            let (cols, rows) = fitGrid(imageWidth: img.width, imageHeight: img.height, maxColumns: box.0, maxRows: box.1)
            let ppm = tmp.appendingPathComponent(f + ".ppm")
            try writePPM(img, ppm)
            for mode in [ColorMode.truecolor, .c256] {
                let colours = mode == .truecolor ? "full" : "256"
                let half = gridPSNR(render(img, columns: cols, rows: rows, glyphs: .halfBlocks, mode: mode), img)
                let ours = gridPSNR(render(img, columns: cols, rows: rows, glyphs: .blocks, mode: mode), img)
                let pal = try Palette.kMeans(img, count: 240)
                let custom = gridPSNR(render(img, columns: cols, rows: rows, glyphs: .blocks, mode: .c256, palette: pal), img)
                let cDefault = try runChafa(chafa, ppm, cols, rows, ["--colors", colours])
                let cWork = try runChafa(chafa, ppm, cols, rows, ["--colors", colours, "-w", "9"])
                let cBlock = try runChafa(chafa, ppm, cols, rows, ["--colors", colours, "--symbols", "block+space"])
                let pDefault = gridPSNR(cDefault, img), pWork = gridPSNR(cWork, img), pBlock = gridPSNR(cBlock, img)
                let box = cDefault.cells.filter { (0x2500...0x257F).contains($0.glyph.value) }.count
                XCTAssertEqual(undecodableGlyphs(cDefault), 0, "chafa used glyphs IGRender cannot decode")
                print(String(format: "| %@ | %dx%d | %@ | %.2f | %.2f | %@ | %.2f | %.2f | %.2f | %d of %d |", f, cols, rows, mode.rawValue, half, ours,
                             mode == .c256 ? String(format: "%.2f", custom) : "–", pDefault, pWork, pBlock, box, cols * rows))
                XCTAssertGreaterThanOrEqual(ours, pBlock, "\(f) \(mode): IGRender below chafa with the same glyphs")
                XCTAssertGreaterThanOrEqual(ours, pDefault, "\(f) \(mode): IGRender below chafa default")
            }
        }
    }
}

import Foundation
import IGExplain
import IGRender

/// The hint line at the bottom of the screen.
public let hintLine = "↑↓/jk class  / find  m/M method  [/] layer  +/-/= m  b base  o opac  v view  c cmap  n/p image  s save  ? help  q quit"

/// The hint line on narrow terminals.
public let shortHintLine = "jk class / find m method [] layer +- m b o v c n/p s save ? help q"

/// The screen for `state` on a `width` x `height` terminal. Pure apart from
/// the composer's cache (which never changes what is drawn).
public func draw(_ state: ViewerState, width: Int, height: Int, composer: Composer) -> Screen {
    var scr = Screen(width: width, height: height)
    let lay = Layout(width: width, height: height)
    guard lay.fits else {
        let msg = ["igcam: terminal too small", "(\(width)x\(height), need \(Layout.minWidth)x\(Layout.minHeight))", "resize or press q"]
        for (i, m) in msg.enumerated() { scr.put(m, x: 0, y: i) }
        return scr
    }
    if state.input == .help {
        drawHelp(&scr)
        return scr
    }
    drawImageArea(state, lay.image, composer, &scr)
    if composer.imagePalettes && state.image != nil { scr.palette = composer.framePalette }
    drawPanel(state, lay.panel, &scr)
    switch state.input {
    case .search(let t): scr.put("class (name or index): \(t)_", x: 0, y: lay.statusRow, bold: true)
    case .steps(let t): scr.put("steps m (1-\(ViewerState.maxSteps)): \(t)_", x: 0, y: lay.statusRow, bold: true)
    default: scr.put(state.status, x: 0, y: lay.statusRow)
    }
    let hint = hintLine.unicodeScalars.count <= width ? hintLine : shortHintLine
    for x in 0..<width { scr[x, lay.hintRow] = ScreenCell(reverse: true) }
    scr.put(hint, x: 0, y: lay.hintRow, reverse: true)
    return scr
}

func drawHelp(_ scr: inout Screen) {
    scr.put("igcam viewer: keys", x: 2, y: 1, bold: true)
    for (i, k) in keyHelp.enumerated() {
        scr.put(k.keys, x: 2, y: 3 + i, bold: true)
        scr.put(k.what, x: 22, y: 3 + i)
    }
    scr.put("press any key to go back", x: 2, y: 4 + keyHelp.count)
}

/// Puts a cell grid at (x, y).
func blit(_ g: CellGrid, x: Int, y: Int, _ scr: inout Screen) {
    for r in 0..<g.height {
        for c in 0..<g.width {
            let cell = g.cells[r * g.width + c]
            let fg: TermColor, bg: TermColor
            if g.mode == .truecolor {
                fg = .rgb(cell.fg.directSafe); bg = .rgb(cell.bg.directSafe)
            } else {
                fg = .index(Int(cell.fgIndex)); bg = .index(Int(cell.bgIndex))
            }
            scr[x + c, y + r] = ScreenCell(cell.glyph, fg: fg, bg: bg)
        }
    }
}

func drawImageArea(_ state: ViewerState, _ area: Rect, _ composer: Composer, _ scr: inout Screen) {
    guard let image = state.image else {
        let name = state.imagePath.map { ($0 as NSString).lastPathComponent }
        scr.put(name.map { "loading \($0) ..." } ?? "no images", x: area.x + 1, y: area.y + area.height / 2, maxWidth: area.width - 1)
        return
    }
    let whole = fitGrid(imageWidth: image.width, imageHeight: image.height, maxColumns: area.width, maxRows: area.height)
    composer.beginFrame(state: state, image: image, columns: whole.columns, rows: whole.rows)
    if state.view == .grid {
        let methods = Method.allCases
        let (gc, gr) = area.width >= 2 * area.height * 2 ? (4, 2) : (2, 4)
        let tw = area.width / gc, th = area.height / gr
        guard tw >= 4, th >= 3 else { return }
        for (i, m) in methods.enumerated() {
            let tx = area.x + (i % gc) * tw, ty = area.y + (i / gc) * th
            let fit = fitGrid(imageWidth: image.width, imageHeight: image.height, maxColumns: tw - 1, maxRows: th - 1)
            let g = composer.tile(state: state, image: image, method: m, columns: fit.columns, rows: fit.rows)
            blit(g, x: tx, y: ty + 1, &scr)
            var label = m.shortName
            if let k = state.key(for: m) {
                if state.failures[k] != nil { label += " failed" } else if let r = state.results[k], !r.isFinal, r.total > 0 {
                    label += " \(Int(100 * Double(r.done) / Double(r.total)))%"
                } else if state.results[k] == nil { label += " ..." }
            }
            scr.put(label, x: tx, y: ty, maxWidth: tw - 1, bold: m == state.method)
        }
        return
    }
    let fit = fitGrid(imageWidth: image.width, imageHeight: image.height, maxColumns: area.width, maxRows: area.height)
    let g = composer.tile(state: state, image: image, method: state.method, columns: fit.columns, rows: fit.rows)
    blit(g, x: area.x + (area.width - fit.columns) / 2, y: area.y + (area.height - fit.rows) / 2, &scr)
}

func drawPanel(_ state: ViewerState, _ p: Rect, _ scr: inout Screen) {
    var y = p.y
    let w = p.width - 1, x = p.x + 1
    func line(_ s: String, bold: Bool = false, reverse: Bool = false) {
        if y < p.y + p.height { scr.put(s, x: x, y: y, maxWidth: w, bold: bold, reverse: reverse) }
        y += 1
    }
    func field(_ name: String, _ value: String) { line(name.padding(toLength: 9, withPad: " ", startingAt: 0) + value) }
    line("igcam", bold: true)
    field("model", state.modelName)
    let name = state.imagePath.map { ($0 as NSString).lastPathComponent } ?? "-"
    field("image", "\(name) (\(state.paths.isEmpty ? 0 : state.imageIndex + 1)/\(state.paths.count))")
    y += 1
    line("top-\(state.top.count)", bold: true)
    for p in state.top {
        let sel = p.classIndex == state.classIndex
        let pct = String(format: "%5.1f%%", 100 * Double(p.probability))
        line("\(sel ? ">" : " ") \(pct) \(p.label)", bold: sel, reverse: sel)
    }
    if let c = state.classIndex, !state.top.contains(where: { $0.classIndex == c }) {
        line("> \(c) \(state.label(c))", bold: true, reverse: true)
    }
    y += 1
    field("class", state.classIndex.map { "\($0) \(state.label($0))" } ?? "-")
    field("method", "\(state.method.shortName) (\((Method.allCases.firstIndex(of: state.method) ?? 0) + 1)/\(Method.allCases.count))")
    if let l = state.layer {
        field("layer", "\(l.display) (\(state.layerIndex + 1)/\(state.layers.count))")
        field("shape", l.shape.map(String.init).joined(separator: "x"))
    } else {
        field("layer", "-")
    }
    let ig = state.method == .integratedGradCAM
    field("steps m", "\(state.steps)\(ig ? "" : " (IG-CAM only)")")
    field("baseline", state.baseline.description)
    field("reading", state.reading.rawValue)
    field("view", "\(state.view.rawValue), opacity \(state.opacity)")
    field("colours", state.colorMap.rawValue)
    y += 1
    guard let key = state.currentKey else { return }
    if let f = state.failures[key] {
        line("failed: \(f)")
    } else if let r = state.results[key] {
        if let sec = r.seconds {
            field("last", sec < 0.005 ? "cached" : String(format: "%.2f s", sec))
        } else {
            line("running \(r.done)/\(r.total)")
            line(progressBar(done: r.done, total: r.total, width: w))
        }
    } else {
        line("running ...")
    }
}

/// `[#####.....]` as block characters, `width` columns in all.
public func progressBar(done: Int, total: Int, width: Int) -> String {
    let inner = max(1, width - 2)
    let f = total > 0 ? min(inner, max(0, inner * done / total)) : 0
    return "[" + String(repeating: "█", count: f) + String(repeating: "░", count: inner - f) + "]"
}

import Foundation
import IGExplain
import IGImaging
import IGRender

/// The hint line at the bottom of the screen.
public let hintLine = "↑↓/jk class  / find  m/M method  [/] layer  +/-/= m  b base  o opac  v view  c cmap  n/p image  x probe  t m-ladder  d/D diff  s save  ? help  q quit"

/// The hint line on terminals of 120 to 150 columns.
public let middleHintLine = "↑↓/jk class  / find  m/M method  [/] layer  +/-/= m  b/o/v/c  n/p image  x probe  t ladder  d diff  s save  ? help  q"

/// The hint line on narrow terminals.
public let shortHintLine = "jk class / find m method [] layer +- m b o v c n/p x t d s ? help q"

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
    drawPanel(state, lay.panel, &scr, colour: { r, g, b in termColor(RGB(r, g, b), composer) })
    switch state.input {
    case .search(let t): scr.put("class (name or index): \(t)_", x: 0, y: lay.statusRow, bold: true)
    case .steps(let t): scr.put("steps m (1-\(ViewerState.maxSteps)): \(t)_", x: 0, y: lay.statusRow, bold: true)
    default: scr.put(state.status, x: 0, y: lay.statusRow)
    }
    let hint = [hintLine, middleHintLine, shortHintLine].first { $0.unicodeScalars.count <= width } ?? shortHintLine
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
    if state.showLadder && state.method.takes.contains(.steps) { return drawLadder(state, area, image, composer, &scr) }
    if state.compare != nil { return drawDifference(state, area, image, composer, &scr) }
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
    // (The tiles of the next o / c / v states are rendered ahead by the UI loop: `mainTileSize`, `Composer.prefetch`.)
    let ox = area.x + (area.width - fit.columns) / 2, oy = area.y + (area.height - fit.rows) / 2
    blit(g, x: ox, y: oy, &scr)
    if let p = state.probe, let cell = probeCell(state, p, imageWidth: image.width, imageHeight: image.height,
                                                 columns: fit.columns, rows: fit.rows) {
        // A cross-hair over the cell; black on white so it shows on any colour.
        scr[ox + cell.x, oy + cell.y] = g.mode == .truecolor
            ? ScreenCell("+", fg: .rgb(RGB(8, 8, 8)), bg: .rgb(RGB(255, 255, 255)), bold: true)
            : ScreenCell("+", bold: true, reverse: true)
    }
}

/// The terminal cell (within a `columns` x `rows` tile of the photo) at the
/// centre of the probe's map cell.
func probeCell(_ state: ViewerState, _ p: ProbeCursor, imageWidth: Int, imageHeight: Int, columns: Int, rows: Int) -> (x: Int, y: Int)? {
    let (h, w) = mapSize(state)
    guard let reg = state.inputRegion, h > 0, w > 0, imageWidth > 0, imageHeight > 0 else { return nil }
    let px = Double(reg.x) + (Double(p.column) + 0.5) * Double(reg.width) / Double(w)
    let py = Double(reg.y) + (Double(p.row) + 0.5) * Double(reg.height) / Double(h)
    return (min(columns - 1, Int(px * Double(columns) / Double(imageWidth))), min(rows - 1, Int(py * Double(rows) / Double(imageHeight))))
}

/// Where the single tile `drawImageArea` draws for `state` sits on a
/// `width` x `height` terminal (cells, centred in the image area); nil when
/// it draws none (no image, the help screen, the grid, the ladder or the
/// difference view). The one rule for "one picture on screen": the UI loop's
/// prefetch, the --graphics picture and the mouse probe all use it.
public func mainTileRect(_ state: ViewerState, width: Int, height: Int) -> Rect? {
    let lay = Layout(width: width, height: height)
    guard lay.fits, let image = state.image, state.input != .help, state.view != .grid, state.compare == nil,
          !(state.showLadder && state.method.takes.contains(.steps)) else { return nil }
    let area = lay.image
    let fit = fitGrid(imageWidth: image.width, imageHeight: image.height, maxColumns: area.width, maxRows: area.height)
    return Rect(x: area.x + (area.width - fit.columns) / 2, y: area.y + (area.height - fit.rows) / 2,
                width: fit.columns, height: fit.rows)
}

/// The size in cells of `mainTileRect`.
public func mainTileSize(_ state: ViewerState, width: Int, height: Int) -> (columns: Int, rows: Int)? {
    mainTileRect(state, width: width, height: height).map { ($0.width, $0.height) }
}

/// Places `count` labelled tiles of the photo in `area`, choosing the
/// number of columns that gives the largest tiles; `body` draws tile i
/// (cells `columns` x `rows` at x, y) and returns its label.
func drawTiles(_ count: Int, _ area: Rect, _ image: RGBImage, _ scr: inout Screen,
               _ body: (Int, Int, Int, Int, Int, inout Screen) -> (String, Bool)) {
    guard count > 0 else { return }
    var best = (gc: 1, cells: -1)
    for gc in 1...count {
        let gr = (count + gc - 1) / gc
        let tw = area.width / gc, th = area.height / gr
        guard tw >= 4, th >= 3 else { continue }
        let f = fitGrid(imageWidth: image.width, imageHeight: image.height, maxColumns: tw - 1, maxRows: th - 1)
        if f.columns * f.rows > best.cells { best = (gc, f.columns * f.rows) }
    }
    guard best.cells > 0 else { return }
    let gc = best.gc, gr = (count + gc - 1) / gc
    let tw = area.width / gc, th = area.height / gr
    for i in 0..<count {
        let tx = area.x + (i % gc) * tw, ty = area.y + (i / gc) * th
        let f = fitGrid(imageWidth: image.width, imageHeight: image.height, maxColumns: tw - 1, maxRows: th - 1)
        let (label, bold) = body(i, tx, ty + 1, f.columns, f.rows, &scr)
        scr.put(label, x: tx, y: ty, maxWidth: tw - 1, bold: bold)
    }
}

/// The label of a tile's map: its name plus progress or failure.
func tileLabel(_ state: ViewerState, _ name: String, _ k: JobKey?) -> String {
    guard let k else { return name }
    if state.failures[k] != nil { return name + " failed" }
    if let r = state.results[k] { return r.isFinal || r.total == 0 ? name : name + " \(Int(100 * Double(r.done) / Double(r.total)))%" }
    return name + " ..."
}

/// The side-by-side maps at m = 1, 2, 4, ... (Integrated Grad-CAM).
func drawLadder(_ state: ViewerState, _ area: Rect, _ image: RGBImage, _ composer: Composer, _ scr: inout Screen) {
    let keys = state.ladderKeys
    drawTiles(keys.count, area, image, &scr) { i, x, y, c, r, scr in
        blit(composer.tile(state: state, image: image, key: keys[i], columns: c, rows: r), x: x, y: y, &scr)
        return (tileLabel(state, "m=\(keys[i].steps)", keys[i]), keys[i].steps == state.steps)
    }
}

/// The difference view: the current map, the partner's, and their signed difference.
func drawDifference(_ state: ViewerState, _ area: Rect, _ image: RGBImage, _ composer: Composer, _ scr: inout Screen) {
    let a = state.currentKey, b = state.compareKey
    let names = [describe(a), describe(b), "A - B"]
    drawTiles(3, area, image, &scr) { i, x, y, c, r, scr in
        switch i {
        case 0: blit(composer.tile(state: state, image: image, key: a, columns: c, rows: r), x: x, y: y, &scr)
            return (tileLabel(state, "A " + names[0], a), true)
        case 1: blit(composer.tile(state: state, image: image, key: b, columns: c, rows: r), x: x, y: y, &scr)
            return (tileLabel(state, "B " + names[1], b), false)
        default: blit(composer.differenceTile(state: state, image: image, a: a, b: b, columns: c, rows: r), x: x, y: y, &scr)
            return (names[2], false)
        }
    }
}

/// A short name of a key's map: method, and the options it takes.
func describe(_ k: JobKey?) -> String {
    guard let k else { return "-" }
    let t = k.method.takes
    return ([k.method.shortName] + (t.contains(.steps) ? ["m=\(k.steps)"] : []) + (t.contains(.baseline) ? ["\(k.baseline)"] : [])
            + (t.contains(.reading) ? [k.reading == .figure ? "fig" : "code"] : [])).joined(separator: " ")
}

/// A colour for panel cells in the frame's colour mode (and palette).
func termColor(_ c: RGB, _ composer: Composer) -> TermColor {
    switch composer.mode {
    case .truecolor: return .rgb(c.directSafe)
    default:
        let p = composer.framePalette ?? (composer.mode == .c256 ? .xterm240 : (composer.mode == .c16 ? .ansi16 : .ansi8))
        return .index(p.firstIndex + p.nearest(Double(c.r), Double(c.g), Double(c.b)))
    }
}

func drawPanel(_ state: ViewerState, _ p: Rect, _ scr: inout Screen, colour: (UInt8, UInt8, UInt8) -> TermColor = { _, _, _ in .normal }) {
    var y = p.y
    let w = p.width - 1, x = p.x + 1
    func put(_ s: String, _ bold: Bool, _ reverse: Bool) {
        if y < p.y + p.height { scr.put(s, x: x, y: y, maxWidth: w, bold: bold, reverse: reverse) }
        y += 1
    }
    func line(_ s: String, bold: Bool = false, reverse: Bool = false) { put(s, bold, reverse) }
    func colourBar(_ width: Int, _ f: (Float) -> (UInt8, UInt8, UInt8)) {
        guard y < p.y + p.height, width > 1 else { y += 1; return }
        for i in 0..<width {
            let c = f(Float(i) / Float(width - 1))
            scr[x + i, y] = ScreenCell(" ", bg: colour(c.0, c.1, c.2))
        }
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
    field("steps m", "\(state.steps)\(state.method.takes.contains(.steps) ? "" : " (IG-CAM only)")")
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
    let r = state.results[key]
    // The colour bar: what 0 and 1 of the colour map stand for in raw map values.
    if state.compare != nil {
        colourBar(w) { t in divergingColor(2 * t - 1) }
        line("-1 blue  0 white  +1 red: A-B")
        if let a = r, let b = state.compareKey.flatMap({ state.results[$0] }), let d = normalisedDifference(a.map, b.map) {
            let lo = d.min() ?? 0, hi = d.max() ?? 0
            line("A-B min \(compact(Double(lo))) max \(compact(Double(hi)))")
        }
    } else {
        colourBar(w) { t in state.colorMap.color(t) }
        if let r, let range = finiteRange(r.map) {
            line("0=min \(compact(Double(range.min)))  1=max \(compact(Double(range.max)))\(r.isFinal ? "" : " so far")")
        }
    }
    if let p = state.probe {
        let (h, wd) = mapSize(state)
        if let r, let reg = state.inputRegion, let pr = probe(r.map, mapWidth: r.width, mapHeight: r.height, at: p, region: reg) {
            line("probe \(p.row),\(p.column) of \(h)x\(wd) px \(pr.imageX),\(pr.imageY)", bold: true)
            line("value \(compact(Double(pr.value))) rank \(String(format: "%.1f", pr.percentile))%")
        } else {
            line("probe \(p.row),\(p.column): no map yet", bold: true)
        }
    }
    drawConvergence(state, put)

}

/// The convergence lines (Integrated Grad-CAM): the relative change of the
/// path-averaged map between successive m of the ladder, as a sparkline and
/// numbers, and the map's sum / m against y(x) - y(x').
func drawConvergence(_ state: ViewerState, _ line: (String, Bool, Bool) -> Void) {
    guard state.method.takes.contains(.steps) else { return }
    let keys = state.ladderKeys
    var changes = [Double]()
    for i in keys.indices.dropFirst() {
        guard let a = state.results[keys[i]], a.isFinal, let b = state.results[keys[i - 1]], b.isFinal,
              let c = relativeChange(a.map, steps: keys[i].steps, from: b.map, steps: keys[i - 1].steps) else { break }
        changes.append(c)
    }
    let have = keys.filter { state.results[$0]?.isFinal == true }.count
    if keys.count > 1 {
        line("dM m=2..\(keys.last!.steps) \(sparkline(changes)) \(have)/\(keys.count)", false, false)
        if !changes.isEmpty {
            line("dM% " + changes.map { String(format: "%.3g", 100 * $0) }.joined(separator: " "), false, false)
        }
    }
    if let k = state.currentKey, let r = state.results[k], r.isFinal, let sk = state.scoreKey, let sc = state.scores[sk] {
        let sum = r.map.reduce(0) { $0 + Double($1) } / Double(max(k.steps, 1))
        let dy = Double(sc.image - sc.baseline)
        line("sum M/m \(compact(sum)) y-y' \(compact(dy))", false, false)
    }
}

/// `[#####.....]` as block characters, `width` columns in all.
public func progressBar(done: Int, total: Int, width: Int) -> String {
    let inner = max(1, width - 2)
    let f = total > 0 ? min(inner, max(0, inner * done / total)) : 0
    return "[" + String(repeating: "█", count: f) + String(repeating: "░", count: inner - f) + "]"
}

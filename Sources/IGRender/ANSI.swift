/// Serialises `grid` as ANSI text: SGR colours (`38;2;R;G;B` / `48;2;...` in
/// truecolor, `38;5;N` / `48;5;N` in 256 colours, `30-37`/`90-97` and
/// `40-47`/`100-107` in 16 and 8 colours), colour codes sent only when they
/// change, each row ended by `ESC[0m` and a newline.
///
/// Palette modes use the cells' colour numbers when the grid was rendered in
/// the same mode, else the nearest colour of `mode.fixedPalette`. Truecolor
/// colours are sent with a packed value of at least 8 (`RGB.directSafe`).
public func ansiString(_ grid: CellGrid, mode: ColorMode) -> String {
    var out = ""
    out.reserveCapacity(grid.cells.count * 24)
    let pal = mode.fixedPalette
    func index(_ c: RGB, _ stored: UInt8) -> Int {
        if grid.mode == mode { return Int(stored) }
        guard let p = pal else { return 0 }
        return p.firstIndex + p.nearest(Double(c.r), Double(c.g), Double(c.b))
    }
    func code(_ c: RGB, _ stored: UInt8, background: Bool) -> String {
        switch mode {
        case .truecolor:
            let s = c.directSafe
            return "\(background ? 48 : 38);2;\(s.r);\(s.g);\(s.b)"
        case .c256:
            return "\(background ? 48 : 38);5;\(index(c, stored))"
        case .c16, .c8:
            let i = index(c, stored)
            return i < 8 ? "\(i + (background ? 40 : 30))" : "\(i - 8 + (background ? 100 : 90))"
        }
    }
    for y in 0..<grid.height {
        var lastFg = "", lastBg = ""
        for x in 0..<grid.width {
            let c = grid.cells[y * grid.width + x]
            let f = code(c.fg, c.fgIndex, background: false)
            let b = code(c.bg, c.bgIndex, background: true)
            var params: [String] = []
            if f != lastFg { params.append(f); lastFg = f }
            if b != lastBg { params.append(b); lastBg = b }
            if !params.isEmpty { out += "\u{1B}[" + params.joined(separator: ";") + "m" }
            out.unicodeScalars.append(c.glyph)
        }
        out += "\u{1B}[0m\n"
    }
    return out
}

/// An error parsing ANSI text.
public struct ANSIParseError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Parses ANSI text (as written by `ansiString`, chafa or `tmux
/// capture-pane -e`) back into cells: one row per line, SGR parameters
/// 0, 7/27 (reverse), 30-37, 39, 40-47, 49, 90-97, 100-107, 38/48 with `;5;N`,
/// `;2;R;G;B` or the colon forms. Colour numbers 0...255 map to xterm's
/// default values. Default colours are `defaultFg` / `defaultBg`. Other
/// escape sequences are skipped. Rows shorter than the longest are padded
/// with spaces in the default background. Throws on a truncated sequence.
public func parseANSI(_ text: String, defaultFg: RGB = RGB(255, 255, 255), defaultBg: RGB = RGB(0, 0, 0)) throws -> CellGrid {
    var rows: [[Cell]] = [[]]
    var fg = defaultFg, bg = defaultBg, reverse = false
    let s = Array(text.unicodeScalars)
    var i = 0
    while i < s.count {
        let c = s[i]
        if c == "\u{1B}" {
            guard i + 1 < s.count else { throw ANSIParseError(description: "parseANSI: text ends inside an escape sequence at scalar \(i)") }
            if s[i + 1] != "[" { i += 2; continue }
            var j = i + 2
            var body = ""
            while j < s.count, !(s[j].value >= 0x40 && s[j].value <= 0x7E) { body.unicodeScalars.append(s[j]); j += 1 }
            guard j < s.count else { throw ANSIParseError(description: "parseANSI: unterminated CSI sequence at scalar \(i)") }
            if s[j] == "m" { try applySGR(body, &fg, &bg, &reverse, defaultFg, defaultBg) }
            i = j + 1
            continue
        }
        if c == "\n" { rows.append([]); i += 1; continue }
        if c == "\r" { i += 1; continue }
        rows[rows.count - 1].append(reverse ? Cell(glyph: c, fg: bg, bg: fg) : Cell(glyph: c, fg: fg, bg: bg))
        i += 1
    }
    if rows.count > 1, rows.last!.isEmpty { rows.removeLast() }
    let width = rows.map(\.count).max() ?? 0
    var cells: [Cell] = []
    for r in rows {
        cells += r
        for _ in r.count..<width { cells.append(Cell(glyph: " ", fg: defaultFg, bg: defaultBg)) }
    }
    return CellGrid(width: width, height: width == 0 ? 0 : rows.count, cells: cells, mode: .truecolor)
}

private func applySGR(_ body: String, _ fg: inout RGB, _ bg: inout RGB, _ reverse: inout Bool, _ dfg: RGB, _ dbg: RGB) throws {
    // Groups separated by ';', sub-parameters by ':'.
    let groups = body.isEmpty ? [[0]] : body.split(separator: ";", omittingEmptySubsequences: false).map { g in
        g.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) ?? -1 }
    }
    var k = 0
    func extended(_ g: [Int]) throws -> RGB? {
        if g.count > 1 {   // colon form 38:5:N or 38:2:[id]:R:G:B
            if g[1] == 5, g.count >= 3 { return Palette.xtermColor(g[2]) }
            if g[1] == 2, g.count >= 5 {
                let v = Array(g.suffix(3))
                return RGB(UInt8(clamping: v[0]), UInt8(clamping: v[1]), UInt8(clamping: v[2]))
            }
            throw ANSIParseError(description: "parseANSI: bad extended colour \(body)")
        }
        guard k + 1 < groups.count else { throw ANSIParseError(description: "parseANSI: truncated extended colour \(body)") }
        let mode = groups[k + 1].first ?? -1
        if mode == 5, k + 2 < groups.count { k += 2; return Palette.xtermColor(groups[k].first ?? 0) }
        if mode == 2, k + 4 < groups.count {
            let r = groups[k + 2].first ?? 0, g = groups[k + 3].first ?? 0, b = groups[k + 4].first ?? 0
            k += 4
            return RGB(UInt8(clamping: r), UInt8(clamping: g), UInt8(clamping: b))
        }
        throw ANSIParseError(description: "parseANSI: bad extended colour \(body)")
    }
    while k < groups.count {
        let g = groups[k]
        let p = g.first ?? -1
        switch p {
        case -1, 0: fg = dfg; bg = dbg; reverse = false
        case 7: reverse = true
        case 27: reverse = false
        case 30...37: fg = Palette.xtermColor(p - 30)
        case 90...97: fg = Palette.xtermColor(p - 90 + 8)
        case 40...47: bg = Palette.xtermColor(p - 40)
        case 100...107: bg = Palette.xtermColor(p - 100 + 8)
        case 39: fg = dfg
        case 49: bg = dbg
        case 38: if let c = try extended(g) { fg = c }
        case 48: if let c = try extended(g) { bg = c }
        default: break
        }
        k += 1
    }
}

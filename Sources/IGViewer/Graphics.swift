import Foundation
import IGImaging
import IGRender
#if canImport(Glibc)
import Glibc
#endif

/// `--graphics`: how the image panel may be drawn besides block characters.
public enum GraphicsChoice: String, CaseIterable, Sendable {
    /// Block characters only (the default).
    case off
    /// kitty or sixel when the terminal answers for it, else blocks.
    case auto
    case sixel
    case kitty
}

/// A pixel protocol the viewer can write.
public enum GraphicsProtocol: String, Sendable {
    case sixel, kitty
}

/// Reads the terminal's answers to `query` (written to fd 1, read from fd 0
/// in raw mode) until the DA1 reply (`ESC [ ? ... c`) or `timeout` seconds.
func queryTerminal(_ query: String, timeout: Double) -> String {
    var saved = termios()
    guard isatty(0) == 1, tcgetattr(0, &saved) == 0 else { return "" }
    var raw = saved
    cfmakeraw(&raw)
    tcsetattr(0, TCSANOW, &raw)
    defer { tcsetattr(0, TCSAFLUSH, &saved) }
    let q = Array(query.utf8)
    _ = q.withUnsafeBufferPointer { write(1, $0.baseAddress!, q.count) }
    var reply = [UInt8]()
    let end = Date().addingTimeInterval(timeout)
    var buf = [UInt8](repeating: 0, count: 256)
    while Date() < end {
        var p = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        let ms = Int32(max(1, end.timeIntervalSinceNow * 1000))
        guard poll(&p, 1, ms) > 0 else { break }
        let n = read(0, &buf, buf.count)
        if n <= 0 { break }
        reply += buf[0..<n]
        let s = String(decoding: reply, as: UTF8.self)
        if let r = s.range(of: "\u{1B}[?"), s[r.upperBound...].contains("c") { break }
    }
    return String(decoding: reply, as: UTF8.self)
}

/// The protocol for `choice`: forced, or for `auto` kitty when the terminal
/// acknowledges kitty's query action (`_Gi=31;OK`), sixel when its DA1 reply
/// lists attribute 4, else nil (blocks). iTerm2 (TERM_PROGRAM=iTerm.app) is
/// recognised but its protocol is not implemented: blocks. The second value
/// says why, for the status line.
func chooseGraphics(_ choice: GraphicsChoice, environment env: [String: String],
                    ask: (String) -> String = { queryTerminal($0, timeout: 0.5) }) -> (GraphicsProtocol?, String) {
    switch choice {
    case .off: return (nil, "")
    case .sixel: return (.sixel, "graphics: sixel")
    case .kitty: return (.kitty, "graphics: kitty")
    case .auto:
        if env["TERM_PROGRAM"] == "iTerm.app" { return (nil, "graphics: iTerm2's protocol is not supported, blocks") }
        // kitty's query action, then DA1, which every terminal answers.
        let reply = ask("\u{1B}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\\u{1B}[c")
        if reply.contains("_Gi=31;OK") { return (.kitty, "graphics: kitty (detected)") }
        if let r = reply.range(of: "\u{1B}[?") {
            let params = reply[r.upperBound...].prefix { $0 != "c" }.split(separator: ";")
            if params.contains("4") { return (.sixel, "graphics: sixel (detected)") }
        }
        return (nil, reply.isEmpty ? "graphics: no answer from the terminal, blocks" : "graphics: none detected, blocks")
    }
}

/// Where and what the pixel picture is for a state: the single views only.
struct GraphicsPlacement {
    var key: String
    var x: Int, y: Int, columns: Int, rows: Int
    var pixelWidth: Int, pixelHeight: Int
}

/// The pixel picture over the image panel, written after ncurses' refresh
/// (the text panel stays ncurses'). Sixel: saved cursor, position, image,
/// restored cursor; the next full repaint erases it. kitty: the image is sent
/// once per picture (id 1) and placed over the panel's cells; placements are
/// deleted before a new one, and everything at exit.
final class GraphicsOutput {
    let proto: GraphicsProtocol
    private var encoded: (key: String, bytes: [UInt8])?
    private(set) var shownKey: String?

    init(_ p: GraphicsProtocol) { proto = p }

    /// Pixels per cell: the terminal's (TIOCGWINSZ) or 8 x 16 when it does not say.
    static func cellPixels() -> (Int, Int) {
        var ws = winsize()
        if withUnsafeMutablePointer(to: &ws, { ioctl(1, UInt(TIOCGWINSZ), $0) }) == 0, ws.ws_xpixel > 0, ws.ws_ypixel > 0, ws.ws_col > 0, ws.ws_row > 0 {
            return (Int(ws.ws_xpixel) / Int(ws.ws_col), Int(ws.ws_ypixel) / Int(ws.ws_row))
        }
        return (8, 16)
    }

    /// The placement for `state` on a `width` x `height` screen, nil when the
    /// image area shows text or several tiles.
    static func placement(_ state: ViewerState, width: Int, height: Int, cell: (Int, Int)) -> GraphicsPlacement? {
        let lay = Layout(width: width, height: height)
        guard lay.fits, state.input == .normal, let image = state.image, state.view != .grid,
              !(state.showLadder && state.method == .integratedGradCAM), state.compare == nil else { return nil }
        let area = lay.image
        let fit = fitGrid(imageWidth: image.width, imageHeight: image.height, maxColumns: area.width, maxRows: area.height)
        guard fit.columns > 0, fit.rows > 0 else { return nil }
        let k = state.currentKey
        let r = k.flatMap { state.results[$0] }
        let key = "\(state.imagePath ?? "")|\(state.view)|\(state.opacity)|\(state.colorMap)|\(k.map { "\($0)" } ?? "-")|\(r?.done ?? -1)|\(r?.isFinal ?? false)|\(fit.columns)x\(fit.rows)|\(cell)"
        return GraphicsPlacement(key: key, x: area.x + (area.width - fit.columns) / 2, y: area.y + (area.height - fit.rows) / 2,
                                 columns: fit.columns, rows: fit.rows, pixelWidth: fit.columns * cell.0, pixelHeight: fit.rows * cell.1)
    }

    /// The picture of `state` at the placement's pixel size (as `s` saves it, resized first).
    static func picture(_ state: ViewerState, _ p: GraphicsPlacement) -> RGBImage? {
        guard let image = state.image else { return nil }
        let base = resizeBilinear(image, width: p.pixelWidth, height: p.pixelHeight)
        let r = state.currentKey.flatMap { state.results[$0] }
        let reg = state.inputRegion.map { scaleRegion($0, from: (image.width, image.height), to: (base.width, base.height)) }
        return Composer.picture(base, view: state.view, map: r, colorMap: state.colorMap, opacity: state.opacity, region: reg)
    }

    private func send(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBufferPointer { write(1, $0.baseAddress! + off, bytes.count - off) }
            if n <= 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }

    /// Draws the picture for `state` (after ncurses' refresh), or removes a kitty image when there is none.
    func show(_ state: ViewerState, _ place: GraphicsPlacement?) {
        guard let p = place else {
            if proto == .kitty && shownKey != nil { send(Array("\u{1B}_Ga=d,d=a,q=2\u{1B}\\".utf8)) }
            shownKey = nil
            return
        }
        if encoded?.key != p.key {
            guard let pic = Self.picture(state, p) else { return }
            switch proto {
            case .sixel: encoded = (p.key, (try? sixelEncode(pic)) ?? [])
            case .kitty: encoded = (p.key, kittyTransmit(pic, id: 1))
            }
        }
        let move = Array("\u{1B}7\u{1B}[\(p.y + 1);\(p.x + 1)H".utf8)
        switch proto {
        case .sixel:
            send(move + (encoded?.bytes ?? []) + Array("\u{1B}8".utf8))
        case .kitty:
            var out = Array("\u{1B}_Ga=d,d=a,q=2\u{1B}\\".utf8)
            if shownKey != p.key { out += encoded?.bytes ?? [] }
            out += move + Array("\u{1B}_Ga=p,i=1,c=\(p.columns),r=\(p.rows),C=1,q=2\u{1B}\\\u{1B}8".utf8)
            send(out)
        }
        shownKey = p.key
    }

    /// Removes what the terminal keeps (kitty's images) before the screen is closed.
    func clear() {
        if proto == .kitty { send(Array("\u{1B}_Ga=d,d=A,q=2\u{1B}\\".utf8)) }
        shownKey = nil
    }
}

/// kitty graphics protocol: transmit `image` as 24-bit RGB under `id`
/// (a=t), base64 in chunks of 4096 (m=1 on all but the last).
func kittyTransmit(_ image: RGBImage, id: Int) -> [UInt8] {
    let b64 = Array(Data(image.pixels).base64EncodedString().utf8)
    var out = [UInt8]()
    var i = 0
    var first = true
    repeat {
        let end = min(b64.count, i + 4096)
        let more = end < b64.count ? 1 : 0
        let head = first ? "a=t,f=24,s=\(image.width),v=\(image.height),i=\(id),q=2,m=\(more)" : "m=\(more)"
        out += Array("\u{1B}_G\(head);".utf8) + b64[i..<end] + Array("\u{1B}\\".utf8)
        first = false
        i = end
    } while i < b64.count
    return out
}

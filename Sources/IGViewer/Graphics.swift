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
    /// iTerm2's inline images (OSC 1337, a PNG).
    case iterm
}

/// A pixel protocol the viewer can write.
public enum GraphicsProtocol: String, Sendable {
    case sixel, kitty, iterm
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
/// lists attribute 4, else nil (blocks). iTerm2 (TERM_PROGRAM=iTerm.app, or
/// LC_TERMINAL=iTerm2, which iTerm2 also sends over ssh) gets its inline
/// images without a query. The second value says why, for the status line.
func chooseGraphics(_ choice: GraphicsChoice, environment env: [String: String],
                    ask: (String) -> String = { queryTerminal($0, timeout: 0.5) }) -> (GraphicsProtocol?, String) {
    switch choice {
    case .off: return (nil, "")
    case .sixel: return (.sixel, "graphics: sixel")
    case .kitty: return (.kitty, "graphics: kitty")
    case .iterm: return (.iterm, "graphics: iTerm2")
    case .auto:
        if env["TERM_PROGRAM"] == "iTerm.app" || env["LC_TERMINAL"] == "iTerm2" { return (.iterm, "graphics: iTerm2 (detected)") }
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
struct GraphicsPlacement: Equatable, Sendable {
    /// What the picture shows (a new key is a new picture to encode).
    var key: String
    /// The photo (pictures of another photo are never shown in its place).
    var image: String
    var x: Int, y: Int, columns: Int, rows: Int
    var pixelWidth: Int, pixelHeight: Int

    /// Where the picture sits and how large it is: an older picture with the
    /// same frame can stand in while the new one is encoded.
    var frame: String { "\(image)|\(x),\(y)|\(columns)x\(rows)|\(pixelWidth)x\(pixelHeight)" }
    var rect: Rect { Rect(x: x, y: y, width: columns, height: rows) }
    var cellWidth: Int { pixelWidth / max(columns, 1) }
    var cellHeight: Int { pixelHeight / max(rows, 1) }
}

/// A picture ready to write: its placement, its pixels (patches are cut
/// from them) and its encoded bytes.
struct EncodedPicture: Sendable {
    var place: GraphicsPlacement
    var picture: RGBImage
    var bytes: [UInt8]
    /// Sixel: the registers the picture uses (patches are encoded with them, so
    /// their clean pixels are exactly the picture's; no fitting per patch).
    var palette: Palette?
}

/// The probe's cross-hair over the picture: drawn into a small patch of
/// whole cells around it (cells `cells`, relative to the placement), so a
/// probe move re-sends two small images instead of the picture.
struct ProbeMarker: Equatable, Sendable {
    /// The map cell's centre in the picture's pixels.
    var x: Int, y: Int
    /// The patch: the marker's cell and its neighbours, within the picture.
    var cells: Rect
    /// Arm length in pixels (the gap in the middle is 2 pixels).
    var arm: Int

    func covers(_ cx: Int, _ cy: Int) -> Bool {
        cx >= cells.x && cx < cells.x + cells.width && cy >= cells.y && cy < cells.y + cells.height
    }
}

/// The pixels of a cross-hair centred at (x, y): black arms (`black`) with a
/// white border (visible on any colour), `arm` pixels long, leaving the 5 x 5
/// pixels in the middle untouched.
func crossHairPixels(x: Int, y: Int, arm: Int) -> [(x: Int, y: Int, black: Bool)] {
    guard arm >= 3 else { return [] }
    var out = [(x: Int, y: Int, black: Bool)]()
    for d in -arm...arm where abs(d) >= 3 {
        for t in -1...1 {
            out.append((x + d, y + t, t == 0))
            out.append((x + t, y + d, t == 0))
        }
    }
    return out
}

/// Draws the cross-hair of `crossHairPixels` into `img` (clipped).
func drawCrossHair(_ img: inout RGBImage, x: Int, y: Int, arm: Int) {
    for p in crossHairPixels(x: x, y: y, arm: arm) where p.x >= 0 && p.y >= 0 && p.x < img.width && p.y < img.height {
        img.setPixel(x: p.x, y: p.y, p.black ? (0, 0, 0) : (255, 255, 255))
    }
}

/// `image`'s pixels in the rectangle (x, y, width, height) (clipped to the image).
func crop(_ image: RGBImage, x: Int, y: Int, width: Int, height: Int) -> RGBImage {
    let x0 = max(0, x), y0 = max(0, y)
    let w = max(0, min(image.width, x + width) - x0), h = max(0, min(image.height, y + height) - y0)
    var out = RGBImage(width: w, height: h)
    for r in 0..<h {
        let src = 3 * ((y0 + r) * image.width + x0)
        out.pixels.replaceSubrange((3 * r * w)..<(3 * (r + 1) * w), with: image.pixels[src..<(src + 3 * w)])
    }
    return out
}

/// The pixel picture over the image panel, written after ncurses' refresh
/// (the text panel stays ncurses').
///
/// Pictures are made and encoded on a background queue (`request`), never on
/// the UI thread: the UI thread asks for the picture of the current state,
/// keeps showing the last picture of the same frame (photo, place, size)
/// until the new one arrives (`takeArrived` makes it redraw), and writes
/// bytes. Requests replace each other (one waits at most, the newest), and a
/// finished picture whose frame is no longer wanted is dropped.
///
/// Sixel and iTerm2 pictures are part of the cells they cover: ncurses text
/// written there erases them, so the picture is written again when ncurses
/// changed a cell under it (outside the probe's patches), and a picture that
/// goes away or moves needs a full repaint (`prepare` says so). kitty keeps
/// images above the text: image 1 is transmitted once per picture and placed
/// over the panel's cells; placements are deleted before new ones, and
/// everything at exit.
final class GraphicsOutput: @unchecked Sendable {
    let proto: GraphicsProtocol
    /// Where bytes go (the terminal, fd 1; tests collect them).
    var sink: ([UInt8]) -> Void = { GraphicsOutput.writeAll($0) }

    // Background side, under `lock`.
    private let lock = NSLock()
    private let queue = DispatchQueue(label: "igcam.graphics", qos: .userInitiated)
    private var wanted: GraphicsPlacement?
    private var job: (GraphicsPlacement, ViewerState)?
    private var busy = false
    private var ready: EncodedPicture?
    private var arrived = false
    private var _encodes = 0, _dropped = 0, _encodeSeconds = 0.0
    /// The worker's resized photo (by photo and pixel size).
    private var base: (key: String, image: RGBImage)?

    // UI thread only.
    /// What `finish` will write: the wanted picture, or one of the same frame.
    private var target: EncodedPicture?
    private var shown: EncodedPicture?
    private var shownMarker: ProbeMarker?
    private var transmitted: String?

    init(_ p: GraphicsProtocol) { proto = p }

    /// Pictures encoded, and finished ones dropped as stale (for tests and notes).
    var encodes: Int { lock.lock(); defer { lock.unlock() }; return _encodes }
    var dropped: Int { lock.lock(); defer { lock.unlock() }; return _dropped }
    /// Seconds spent making and encoding pictures (on the background queue).
    var encodeSeconds: Double { lock.lock(); defer { lock.unlock() }; return _encodeSeconds }
    /// The key of the picture on the screen (nil: none).
    var shownKey: String? { shown?.place.key }

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
        guard state.input == .normal, let t = mainTileRect(state, width: width, height: height),
              t.width > 0, t.height > 0, cell.0 > 0, cell.1 > 0 else { return nil }
        let k = state.currentKey
        let r = k.flatMap { state.results[$0] }
        let key = "\(state.imagePath ?? "")|\(state.view)|\(state.opacity)|\(state.colorMap)|\(k.map { "\($0)" } ?? "-")|\(r?.done ?? -1)|\(r?.isFinal ?? false)|\(t.width)x\(t.height)|\(cell)"
        return GraphicsPlacement(key: key, image: state.imagePath ?? "", x: t.x, y: t.y,
                                 columns: t.width, rows: t.height, pixelWidth: t.width * cell.0, pixelHeight: t.height * cell.1)
    }

    /// The picture of `state` at the placement's pixel size (as `s` saves it, resized first).
    static func picture(_ state: ViewerState, _ p: GraphicsPlacement, base: RGBImage? = nil) -> RGBImage? {
        guard let image = state.image else { return nil }
        let b = base ?? resizeBilinear(image, width: p.pixelWidth, height: p.pixelHeight)
        let r = state.currentKey.flatMap { state.results[$0] }
        let reg = state.inputRegion.map { scaleRegion($0, from: (image.width, image.height), to: (b.width, b.height)) }
        return Composer.picture(b, view: state.view, map: r, colorMap: state.colorMap, opacity: state.opacity, region: reg)
    }

    /// The probe's marker over placement `p` (nil: probe off or no picture cell for it).
    static func marker(_ state: ViewerState, _ p: GraphicsPlacement) -> ProbeMarker? {
        guard let probe = state.probe, let image = state.image, let reg = state.inputRegion,
              let cell = probeCell(state, probe, imageWidth: image.width, imageHeight: image.height, columns: p.columns, rows: p.rows) else { return nil }
        let (h, w) = mapSize(state)
        guard h > 0, w > 0, image.width > 0, image.height > 0 else { return nil }
        // The map cell's centre in photo pixels (as `probeCell`), then in the picture's.
        let px = Double(reg.x) + (Double(probe.column) + 0.5) * Double(reg.width) / Double(w)
        let py = Double(reg.y) + (Double(probe.row) + 0.5) * Double(reg.height) / Double(h)
        let mx = min(p.pixelWidth - 1, Int(px * Double(p.pixelWidth) / Double(image.width)))
        let my = min(p.pixelHeight - 1, Int(py * Double(p.pixelHeight) / Double(image.height)))
        let x0 = max(0, cell.x - 1), y0 = max(0, cell.y - 1)
        let x1 = min(p.columns, cell.x + 2), y1 = min(p.rows, cell.y + 2)
        return ProbeMarker(x: mx, y: my, cells: Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0),
                           arm: max(4, min(p.cellWidth, p.cellHeight)))
    }

    /// Sixel registers for the picture: two more are left for the cross-hair's black and white.
    static let sixelColors = 254

    /// The bytes that draw `image` at the cursor over `columns` x `rows` cells (kitty: transmits it as `id`).
    func encode(_ image: RGBImage, id: Int, columns: Int, rows: Int) -> [UInt8] {
        switch proto {
        case .sixel: return (try? sixelEncode(image)) ?? []
        case .kitty: return kittyTransmit(image, id: id)
        case .iterm: return itermInline(image, columns: columns, rows: rows)
        }
    }

    // MARK: background encoding

    /// Asks for the picture of `place` (nil: none wanted). Returns at once; the
    /// picture is made and encoded on the background queue.
    func request(_ state: ViewerState, _ place: GraphicsPlacement?) {
        lock.lock()
        guard let p = place else { wanted = nil; job = nil; lock.unlock(); return }
        if wanted?.key == p.key { lock.unlock(); return }
        wanted = p
        if ready?.place.key == p.key { job = nil; lock.unlock(); return }
        job = (p, state)
        let start = !busy
        busy = true
        lock.unlock()
        if start { queue.async { [self] in work() } }
    }

    private func work() {
        while true {
            lock.lock()
            guard let next = job else { busy = false; lock.unlock(); return }
            let (p, state) = next
            job = nil
            let b0 = base
            lock.unlock()
            let t0 = DispatchTime.now().uptimeNanoseconds
            let bkey = "\(p.image)|\(p.pixelWidth)x\(p.pixelHeight)"
            var b = b0?.key == bkey ? b0?.image : nil
            if b == nil, let img = state.image { b = resizeBilinear(img, width: p.pixelWidth, height: p.pixelHeight) }
            let pic = Self.picture(state, p, base: b)
            var bytes = [UInt8](), palette: Palette?
            if let pic {
                if proto == .sixel, let f = try? sixelEncodeFitted(pic, colors: Self.sixelColors) {
                    (bytes, palette) = (f.bytes, f.palette)
                } else {
                    bytes = encode(pic, id: 1, columns: p.columns, rows: p.rows)
                }
            }
            let sec = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            lock.lock()
            if let b { base = (bkey, b) }
            _encodes += 1
            _encodeSeconds += sec
            // Kept when it is the wanted picture or one of the same frame (a partial
            // map of the same job: the newest finished stands in); else stale.
            if let pic, !bytes.isEmpty, let w = wanted, w.frame == p.frame {
                ready = EncodedPicture(place: p, picture: pic, bytes: bytes, palette: palette)
                arrived = true
            } else {
                _dropped += 1
            }
            lock.unlock()
        }
    }

    /// True once after a picture finished encoding (the UI redraws then).
    func takeArrived() -> Bool {
        lock.lock(); defer { lock.unlock() }
        let a = arrived
        arrived = false
        return a
    }

    // MARK: the UI thread

    /// Before ncurses' refresh: asks for the picture of `place` and chooses
    /// what `finish` will write (the newest finished picture of the same
    /// frame, or the one on the screen). True when the screen must be
    /// repainted first: a sixel or iTerm2 picture goes away or moves.
    func prepare(_ state: ViewerState, _ place: GraphicsPlacement?) -> Bool {
        request(state, place)
        lock.lock()
        let r = ready
        lock.unlock()
        if let p = place, let r, r.place.frame == p.frame {
            target = r
        } else if let p = place, let s = shown, s.place.frame == p.frame {
            target = s
        } else {
            target = nil
        }
        guard proto != .kitty, let s = shown else { return false }
        return target?.place.frame != s.place.frame
    }

    /// The cells under the picture `finish` will write (nil: none). The viewer
    /// blanks them in its frame, so ncurses does not draw blocks under a picture
    /// (bytes nobody sees, and for sixel they would erase it), and reports writes
    /// there (only when blocks give way to a picture or back).
    var watchRect: Rect? { target?.place.rect }

    /// After ncurses' refresh: writes the picture (when it is new, or ncurses
    /// repainted, or wrote cells under it outside the probe's patches) and the
    /// probe's marker. `written`: the screen cells ncurses changed inside `watchRect`.
    func finish(_ state: ViewerState, repainted: Bool, written: [(x: Int, y: Int)]) {
        guard let t = target else {
            if proto == .kitty && shown != nil { sink(Array("\u{1B}_Ga=d,d=a,q=2\u{1B}\\".utf8)) }
            shown = nil; shownMarker = nil
            return
        }
        let p = t.place
        let marker = Self.marker(state, p)
        let old = shownMarker
        let newPicture = shown?.place.key != p.key
        let erased = proto != .kitty && written.contains { c in
            let cx = c.x - p.x, cy = c.y - p.y
            return !(old?.covers(cx, cy) ?? false) && !(marker?.covers(cx, cy) ?? false)
        }
        var out = [UInt8]()
        if newPicture || repainted || erased || shown == nil {
            out += Array("\u{1B}7".utf8)
            switch proto {
            case .kitty:
                out += Array("\u{1B}_Ga=d,d=a,q=2\u{1B}\\".utf8)
                if transmitted != p.key { out += t.bytes; transmitted = p.key }
                out += move(p.x, p.y) + Array("\u{1B}_Ga=p,i=1,c=\(p.columns),r=\(p.rows),C=1,q=2\u{1B}\\".utf8)
            case .sixel, .iterm:
                out += move(p.x, p.y) + t.bytes
            }
            if let m = marker { out += patch(t, m, marked: true) }
            out += Array("\u{1B}8".utf8)
        } else if marker != old {
            out += Array("\u{1B}7".utf8)
            if proto == .kitty {
                out += Array("\u{1B}_Ga=d,d=i,i=2,q=2\u{1B}\\".utf8)
            } else if let o = old, o.cells != marker?.cells || marker == nil {
                out += patch(t, o, marked: false)
            }
            if let m = marker { out += patch(t, m, marked: true) }
            out += Array("\u{1B}8".utf8)
        }
        if !out.isEmpty { sink(out) }
        shown = t
        shownMarker = marker
    }

    /// Cursor to screen cell (x, y).
    private func move(_ x: Int, _ y: Int) -> [UInt8] { Array("\u{1B}[\(y + 1);\(x + 1)H".utf8) }

    /// The picture's pixels under the marker's cells, with the cross-hair (`marked`) or
    /// clean (to erase an old marker), written at those cells (kitty: image 2, above image 1).
    func patch(_ t: EncodedPicture, _ m: ProbeMarker, marked: Bool) -> [UInt8] {
        let p = t.place, cw = p.cellWidth, ch = p.cellHeight
        var img = crop(t.picture, x: m.cells.x * cw, y: m.cells.y * ch, width: m.cells.width * cw, height: m.cells.height * ch)
        guard img.width > 0, img.height > 0 else { return [] }
        var out = move(p.x + m.cells.x, p.y + m.cells.y)
        let (hx, hy) = (m.x - m.cells.x * cw, m.y - m.cells.y * ch)
        if proto == .sixel, let pal = t.palette {
            // The picture's own registers (no fitting: a patch costs a table look-up per pixel),
            // plus black and white for the cross-hair.
            var idx = [UInt8](repeating: 0, count: img.width * img.height)
            for i in idx.indices {
                idx[i] = UInt8(pal.nearest(Double(img.pixels[3 * i]), Double(img.pixels[3 * i + 1]), Double(img.pixels[3 * i + 2])))
            }
            let regs = pal.colors + [RGB(0, 0, 0), RGB(255, 255, 255)]
            if marked {
                for q in crossHairPixels(x: hx, y: hy, arm: m.arm) where q.x >= 0 && q.y >= 0 && q.x < img.width && q.y < img.height {
                    idx[q.y * img.width + q.x] = UInt8(pal.colors.count + (q.black ? 0 : 1))
                }
            }
            return out + sixelEncode(indices: idx, width: img.width, height: img.height, registers: regs)
        }
        if marked { drawCrossHair(&img, x: hx, y: hy, arm: m.arm) }
        switch proto {
        case .kitty:
            out = kittyTransmit(img, id: 2) + out + Array("\u{1B}_Ga=p,i=2,c=\(m.cells.width),r=\(m.cells.height),z=1,C=1,q=2\u{1B}\\".utf8)
        case .sixel, .iterm:
            out += encode(img, id: 2, columns: m.cells.width, rows: m.cells.height)
        }
        return out
    }

    static func writeAll(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBufferPointer { write(1, $0.baseAddress! + off, bytes.count - off) }
            if n <= 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }

    /// Removes what the terminal keeps (kitty's images) before the screen is closed.
    func clear() {
        if proto == .kitty { sink(Array("\u{1B}_Ga=d,d=A,q=2\u{1B}\\".utf8)) }
        shown = nil
        shownMarker = nil
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

/// iTerm2's inline image (OSC 1337 File=...): `image` as a PNG, base64,
/// stretched over `columns` x `rows` cells at the cursor.
func itermInline(_ image: RGBImage, columns: Int, rows: Int) -> [UInt8] {
    guard let png = try? pngData(image) else { return [] }
    let head = "\u{1B}]1337;File=inline=1;size=\(png.count);width=\(columns);height=\(rows);preserveAspectRatio=0:"
    return Array(head.utf8) + Array(Data(png).base64EncodedString().utf8) + [0x07]
}

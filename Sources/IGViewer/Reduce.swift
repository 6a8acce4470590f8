import Foundation
import IGExplain
import IGImaging
import IGModel

/// The viewer's keys, for the help screen and the hint line.
public let keyHelp: [(keys: String, what: String)] = [
    ("Up/Down, k/j", "select the class among the top-k"),
    ("/", "search all classes by name or index (Enter picks, Esc cancels)"),
    ("m / M", "next / previous method"),
    ("] / [", "next / previous layer"),
    ("+ / -", "double / halve the step count m"),
    ("=", "type an exact m"),
    ("b", "cycle the baseline (Integrated Grad-CAM)"),
    ("r", "switch the reading (figure / authors-code)"),
    ("o", "cycle the overlay opacity"),
    ("v", "cycle the view: overlay, heatmap, image, grid of methods"),
    ("c", "cycle the colour map"),
    ("n / p, Right/Left", "next / previous image"),
    ("s", "save the current view as a PNG next to the image"),
    ("x", "probe: arrows (or h/j/k/l) move a cursor over the map; x or Esc leaves"),
    ("click", "probe the map cell clicked (mouse; --no-mouse gives text selection back)"),
    ("t", "maps at m = 1, 2, 4, ... side by side (IG-CAM; t again: back)"),
    ("d", "difference view: current map minus a partner (d again: back)"),
    ("D", "next partner: each method, each baseline, the other reading"),
    ("?", "this help (any key closes it)"),
    ("q, Ctrl-C", "quit"),
]

/// One key: the next state and what to do about it. Pure.
public func reduce(_ state: ViewerState, _ key: Key) -> (ViewerState, [Effect]) {
    var s = state
    var effects = [Effect]()
    if key == .interrupt { s.quit = true; return (s, [.quit]) }
    if key == .resize { return (s, []) }
    switch s.input {
    case .help:
        s.input = .normal
        return (s, [])
    case .search(let text):
        switch key {
        case .escape: s.input = .normal; s.status = ""
        case .enter:
            s.input = .normal
            do {
                let c = try lookUpClass(text, labels: s.labels)
                s.classIndex = c
                s.status = "class \(c): \(s.label(c))"
            } catch {
                s.status = "\(error)"
            }
        case .backspace: s.input = .search(String(text.dropLast()))
        case .char(let ch): s.input = .search(text + String(ch))
        default: break
        }
        return finish(state, s, effects)
    case .steps(let text):
        switch key {
        case .escape: s.input = .normal; s.status = ""
        case .enter:
            s.input = .normal
            if let m = Int(text), m >= 1, m <= ViewerState.maxSteps { s.steps = m; s.status = "m = \(m)" } else {
                s.status = "m must be a whole number from 1 to \(ViewerState.maxSteps)"
            }
        case .backspace: s.input = .steps(String(text.dropLast()))
        case .char(let ch) where ch.isASCII && ch.isNumber && text.count < 6: s.input = .steps(text + String(ch))
        default: break
        }
        return finish(state, s, effects)
    case .normal:
        break
    }
    if case .probeAt(let r, let c) = key {
        // A click on the picture (see `mouseProbe`): the probe on that cell.
        let (h, w) = mapSize(s)
        s.probe = ProbeCursor(row: min(max(r, 0), max(h - 1, 0)), column: min(max(c, 0), max(w - 1, 0)))
        s.status = "probe: click or arrows move it, x or Esc leaves"
        return finish(state, s, effects)
    }
    if let cur = s.probe {
        // Probe mode: arrows and h/j/k/l move the cursor within the map.
        let (h, w) = mapSize(s)
        var r = cur.row, c = cur.column, moved = true
        switch key {
        case .up, .char("k"): r -= 1
        case .down, .char("j"): r += 1
        case .left, .char("h"): c -= 1
        case .right, .char("l"): c += 1
        case .escape, .char("x"): s.probe = nil; moved = false; s.status = ""
        default: moved = false
        }
        if moved {
            s.probe = ProbeCursor(row: min(max(r, 0), max(h - 1, 0)), column: min(max(c, 0), max(w - 1, 0)))
            return finish(state, s, effects)
        }
        if s.probe == nil { return finish(state, s, effects) }
    }
    switch key {
    case .up, .char("k"): moveSelection(&s, by: -1)
    case .down, .char("j"): moveSelection(&s, by: 1)
    case .char("/"): s.input = .search("")
    case .char("="): s.input = .steps("")
    case .char("?"): s.input = .help
    case .char("m"): s.method = cycle(Method.allCases, s.method, 1)
    case .char("M"): s.method = cycle(Method.allCases, s.method, -1)
    case .char("]"): if !s.layers.isEmpty { s.layerIndex = (s.layerIndex + 1) % s.layers.count }
    case .char("["): if !s.layers.isEmpty { s.layerIndex = (s.layerIndex - 1 + s.layers.count) % s.layers.count }
    case .char("+"):
        if s.steps * 2 <= ViewerState.maxSteps { s.steps *= 2 } else { s.status = "m is at most \(ViewerState.maxSteps)" }
    case .char("-"):
        if s.steps > 1 { s.steps /= 2 } else { s.status = "m is at least 1" }
    case .char("b"): s.baselineIndex = (s.baselineIndex + 1) % Baseline.cycle.count
    case .char("r"): s.reading = s.reading == .figure ? .authorsCode : .figure
    case .char("o"): s.opacityIndex = (s.opacityIndex + 1) % ViewerState.opacities.count
    case .char("v"): s.view = cycle(ViewMode.allCases, s.view, 1)
    case .char("c"): s.colorMap = cycle(ColorMap.allCases, s.colorMap, 1)
    case .char("n"), .right: changeImage(&s, by: 1)
    case .char("p"), .left: changeImage(&s, by: -1)
    case .char("s"): effects.append(.save)
    case .char("x"): s.probe = startProbe(s); s.status = "probe: arrows or h/j/k/l move, x or Esc leaves"
    case .char("t"):
        s.showLadder.toggle()
        if s.showLadder { s.compare = nil }
        if s.showLadder && !s.method.takes.contains(.steps) { s.status = "the m ladder is for Integrated Grad-CAM (m selects it)" }
    case .char("d"):
        if s.compare == nil {
            s.compare = .method(s.method == .gradCAM ? .integratedGradCAM : .gradCAM)
            s.showLadder = false
        } else {
            s.compare = nil
        }
    case .char("D"):
        let cur = s.compare ?? .method(s.method)
        s.compare = cycle(Comparison.all, cur, 1)
        s.showLadder = false
    case .char("q"): s.quit = true; effects.append(.quit)
    case .escape: s.status = ""
    default: break
    }
    return finish(state, s, effects)
}

/// The states the display-only keys o, c and v lead to from `state`: what
/// the UI loop asks the composer to render ahead (`Composer.prefetch`).
public func displayNeighbours(_ state: ViewerState) -> [ViewerState] {
    ["o", "c", "v"].map { reduce(state, .char(Character($0))).0 }
}

/// One worker event: the next state and any new work. Pure.
public func reduce(_ state: ViewerState, _ event: JobEvent) -> (ViewerState, [Effect]) {
    var s = state
    switch event {
    case .imageLoaded(let path, let image, let top):
        guard path == s.imagePath else { return (s, []) }
        s.image = image
        s.top = top
        if s.classIndex == nil { s.classIndex = top.first?.classIndex }
    case .imageFailed(let path, let message):
        guard let i = s.paths.firstIndex(of: path) else { return (s, []) }
        let name = (path as NSString).lastPathComponent
        s.paths.remove(at: i)
        s.status = "skipped \(name): \(message)"
        if s.paths.isEmpty {
            s.status += "; no readable images left"
            s.imageIndex = 0
        } else if i < s.imageIndex || s.imageIndex >= s.paths.count {
            s.imageIndex = max(0, min(s.imageIndex - (i < s.imageIndex ? 1 : 0), s.paths.count - 1))
        }
    case .progress(let key, let r):
        if s.results[key]?.isFinal != true { s.results[key] = r }
    case .finished(let key, let r):
        s.results[key] = r
        s.failures[key] = nil
    case .failed(let key, let message):
        s.failures[key] = message
        if key == s.currentKey { s.status = "\(key.method.shortName) failed: \(message)" }
    case .scores(let key, let sc): s.scores[key] = sc
    case .saved(let path): s.status = "saved \(path)"
    case .saveFailed(let message): s.status = "save failed: \(message)"
    }
    return finish(state, s, [])
}

/// Adds a request effect when the work the state needs has changed.
func finish(_ old: ViewerState, _ new: ViewerState, _ effects: [Effect]) -> (ViewerState, [Effect]) {
    var e = effects
    if let w = new.work, w != old.work { e.insert(.request(w), at: 0) }
    return (new, e)
}

/// The current layer's map size (rows, columns), from a result when there is one.
func mapSize(_ s: ViewerState) -> (Int, Int) {
    if let k = s.currentKey, let r = s.results[k] { return (r.height, r.width) }
    if let l = s.layer, l.shape.count == 3 { return (l.shape[1], l.shape[2]) }
    return (1, 1)
}

/// Where the probe starts: the current map's largest cell, else the middle.
func startProbe(_ s: ViewerState) -> ProbeCursor {
    let (h, w) = mapSize(s)
    if let k = s.currentKey, let r = s.results[k], r.map.count == h * w, !r.map.isEmpty {
        var best = 0
        for i in r.map.indices where r.map[i] > r.map[best] { best = i }
        return ProbeCursor(row: best / w, column: best % w)
    }
    return ProbeCursor(row: h / 2, column: w / 2)
}

func cycle<T: Equatable>(_ all: [T], _ v: T, _ d: Int) -> T {
    guard let i = all.firstIndex(of: v) else { return all[0] }
    return all[(i + d + all.count) % all.count]
}

func moveSelection(_ s: inout ViewerState, by d: Int) {
    guard !s.top.isEmpty else { return }
    let idx = s.top.map(\.classIndex)
    if let c = s.classIndex, let i = idx.firstIndex(of: c) {
        s.classIndex = idx[max(0, min(idx.count - 1, i + d))]
    } else {
        s.classIndex = d > 0 ? idx.first : idx.last
    }
}

func changeImage(_ s: inout ViewerState, by d: Int) {
    guard s.paths.count > 1 else { s.status = s.paths.isEmpty ? "no images" : "only one image"; return }
    s.imageIndex = (s.imageIndex + d + s.paths.count) % s.paths.count
    s.image = nil
    s.top = []
    s.classIndex = nil
    s.status = ""
}

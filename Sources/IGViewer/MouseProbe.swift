import Foundation
import IGImaging
import IGRender

/// What a click at screen cell (x, y) does on a `width` x `height` terminal:
/// on the picture of a single view (overlay, heatmap, image), inside the
/// region the network sees, it puts the probe on the map cell under the
/// click's cell centre (`.probeAt`); elsewhere nothing (nil). Pure; the
/// inverse of `probeCell` (the probe drawn at a cell is found again by a
/// click on that cell).
public func mouseProbe(_ state: ViewerState, x: Int, y: Int, width: Int, height: Int) -> Key? {
    guard state.input == .normal, let image = state.image, let reg = state.inputRegion,
          let t = mainTileRect(state, width: width, height: height),
          t.width > 0, t.height > 0, reg.width > 0, reg.height > 0 else { return nil }
    let cx = x - t.x, cy = y - t.y
    guard cx >= 0, cy >= 0, cx < t.width, cy < t.height else { return nil }
    // The click's cell centre in photo pixels, then the map cell of the region it falls in.
    let px = (Double(cx) + 0.5) * Double(image.width) / Double(t.width)
    let py = (Double(cy) + 0.5) * Double(image.height) / Double(t.height)
    let (h, w) = mapSize(state)
    let fx = (px - Double(reg.x)) / Double(reg.width), fy = (py - Double(reg.y)) / Double(reg.height)
    guard fx >= 0, fy >= 0, fx < 1, fy < 1 else { return nil }
    return .probeAt(row: min(h - 1, Int(fy * Double(h))), column: min(w - 1, Int(fx * Double(w))))
}

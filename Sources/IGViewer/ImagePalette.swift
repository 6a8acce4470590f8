import IGExplain
import IGImaging
import IGRender

/// Whether the viewer fits a palette of its own to each picture: only in
/// 256-colour mode, on a terminal with 256 colours whose colours can be
/// redefined (`can_change_color()`, e.g. xterm-256color but not
/// tmux-256color). Otherwise the fixed 240 xterm colours are used.
public func usesImagePalette(mode: ColorMode, canChangeColor: Bool, colors: Int) -> Bool {
    mode == .c256 && canChangeColor && colors >= 256
}

/// What a per-image palette is fitted to: the photo, the colour map and the
/// final map of the current method (nil before it arrives). Opacity and
/// view are left out: every blend lies between photo and heat map.
struct PaletteKey: Hashable {
    var image: String
    var colorMap: ColorMap
    var map: JobKey?
}

/// The pixels a palette is fitted to: the photo `base`, and with a map the
/// heat map alone and the photo half-blended with it, stacked vertically.
func paletteTrainingImage(_ base: RGBImage, map: MapResult?, colorMap: ColorMap) -> RGBImage {
    guard let m = map else { return base }
    let heat = overlay(image: base, map: m.map, mapWidth: m.width, mapHeight: m.height, colorMap: colorMap, opacity: 1)
    let half = overlay(image: base, map: m.map, mapWidth: m.width, mapHeight: m.height, colorMap: colorMap, opacity: 0.5)
    return RGBImage(width: base.width, height: base.height * 3, pixels: base.pixels + heat.pixels + half.pixels)
}

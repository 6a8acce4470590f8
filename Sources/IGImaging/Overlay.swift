/// Draws a heat map over an image.
///
/// The map (row-major, `mapHeight` x `mapWidth`) is min-max normalised
/// (`normalizeMinMax`: an all-equal map draws as 0), upsampled to the image
/// size with `upsampleBilinear` (PyTorch bilinear, align_corners=False),
/// coloured with `colorMap`, and blended per channel as
/// `(1 - a) * image + a * colour`, rounded, with a = `opacity` clamped to
/// [0, 1]. If the map's size does not match `mapWidth * mapHeight` (or is
/// empty) the image is returned unchanged.
public func overlay(image: RGBImage, map: [Float], mapWidth: Int, mapHeight: Int, colorMap: ColorMap, opacity: Float) -> RGBImage {
    guard mapWidth > 0, mapHeight > 0, map.count == mapWidth * mapHeight,
          image.width > 0, image.height > 0 else { return image }
    let a = opacity.isNaN ? 0 : min(max(opacity, 0), 1)
    let norm = normalizeMinMax(map)
    let up = upsampleBilinear(norm, height: mapHeight, width: mapWidth, toHeight: image.height, toWidth: image.width)
    let tab = colorMap.table
    var out = image
    let n = image.width * image.height
    let b = 1 - a
    out.pixels.withUnsafeMutableBufferPointer { px in
        up.withUnsafeBufferPointer { u in
            tab.withUnsafeBufferPointer { lut in
                for i in 0..<n {
                    let t = 3 * ColorMap.index(u[i])
                    px[3 * i] = clampByte(b * Float(px[3 * i]) + a * Float(lut[t]))
                    px[3 * i + 1] = clampByte(b * Float(px[3 * i + 1]) + a * Float(lut[t + 1]))
                    px[3 * i + 2] = clampByte(b * Float(px[3 * i + 2]) + a * Float(lut[t + 2]))
                }
            }
        }
    }
    return out
}

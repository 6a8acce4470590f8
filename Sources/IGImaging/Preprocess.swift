/// How `preprocess` fits an image to the model's input size.
public enum ResizeMode: String, Sendable, CaseIterable {
    /// Bilinear resize straight to the target size (aspect ratio not kept).
    case stretch
    /// Scale so the image covers the target (shorter side = target for a
    /// square target), then take the centred crop.
    case crop
}

/// Geometry of the "crop" preprocessing: the image is resized to
/// `resizedWidth` x `resizedHeight`, and the target-sized window at
/// (`offsetX`, `offsetY`) of that resized image is kept.
public struct CropGeometry: Sendable, Equatable {
    /// Width of the resized (pre-crop) image.
    public var resizedWidth: Int
    /// Height of the resized (pre-crop) image.
    public var resizedHeight: Int
    /// Left edge of the crop in the resized image.
    public var offsetX: Int
    /// Top edge of the crop in the resized image.
    public var offsetY: Int
    /// Crop (= model input) width.
    public var width: Int
    /// Crop (= model input) height.
    public var height: Int
    /// Original image width.
    public var imageWidth: Int
    /// Original image height.
    public var imageHeight: Int

    /// The region of the ORIGINAL image the crop shows, in original pixel
    /// units (continuous coordinates, pixel edges): x, y, width, height.
    /// A map over the model input covers exactly this rectangle.
    public var sourceRect: (x: Double, y: Double, width: Double, height: Double) {
        let sx = Double(imageWidth) / Double(resizedWidth), sy = Double(imageHeight) / Double(resizedHeight)
        return (Double(offsetX) * sx, Double(offsetY) * sy, Double(width) * sx, Double(height) * sy)
    }
}

/// The crop geometry `preprocess(mode: .crop)` uses for an image of
/// `imageWidth` x `imageHeight` and a model input of `width` x `height`.
///
/// Scale s = max(height/imageHeight, width/imageWidth). The side that sets s
/// becomes its target exactly; the other becomes round(side * s) with halves
/// rounded up (computed in Double as side * target / limitingSide). For a
/// square target this is "shorter side = target". The crop offset is
/// (resized - target) / 2 with integer division. Sizes below 1 give 1.
public func cropGeometry(imageWidth: Int, imageHeight: Int, width: Int, height: Int) -> CropGeometry {
    let iw = max(imageWidth, 1), ih = max(imageHeight, 1), tw = max(width, 1), th = max(height, 1)
    var rw: Int, rh: Int
    // Compare th/ih vs tw/iw without rounding: th*iw vs tw*ih.
    if th * iw >= tw * ih {
        rh = th
        rw = Int((Double(iw) * Double(th) / Double(ih)).rounded(.toNearestOrAwayFromZero))
    } else {
        rw = tw
        rh = Int((Double(ih) * Double(tw) / Double(iw)).rounded(.toNearestOrAwayFromZero))
    }
    rw = max(rw, tw); rh = max(rh, th)
    return CropGeometry(resizedWidth: rw, resizedHeight: rh, offsetX: (rw - tw) / 2, offsetY: (rh - th) / 2,
                        width: tw, height: th, imageWidth: iw, imageHeight: ih)
}

/// Turns an image into a model input: CHW float32 (3 x height x width; the
/// caller adds the batch axis), computed as
///
/// 1. x = u8 / 255 (float32);
/// 2. resize per `mode` with bilinear interpolation matching
///    `torch.nn.functional.interpolate(mode="bilinear", align_corners=False,
///    antialias=False)`; `.crop` resizes to `cropGeometry(...)` and keeps the
///    centred window (only that window is computed). An axis whose size does
///    not change is copied, not resampled;
/// 3. (x - mean[c]) / std[c].
///
/// `mean`/`std` normally have 3 entries; a shorter list repeats its last
/// entry, an empty one means mean 0 / std 1. Returns [] if `height` or
/// `width` is not positive or the image is empty.
public func preprocess(_ img: RGBImage, height: Int, width: Int, mode: ResizeMode, mean: [Float], std: [Float]) -> [Float] {
    guard height > 0, width > 0, img.width > 0, img.height > 0,
          img.pixels.count == img.width * img.height * 3 else { return [] }
    let iw = img.width, ih = img.height
    let rows: LinearAxis, cols: LinearAxis
    switch mode {
    case .stretch:
        rows = LinearAxis(inSize: ih, outSize: height)
        cols = LinearAxis(inSize: iw, outSize: width)
    case .crop:
        let g = cropGeometry(imageWidth: iw, imageHeight: ih, width: width, height: height)
        rows = LinearAxis(inSize: ih, outSize: g.resizedHeight, start: g.offsetY, count: height)
        cols = LinearAxis(inSize: iw, outSize: g.resizedWidth, start: g.offsetX, count: width)
    }
    let plane = height * width
    var out = [Float](repeating: 0, count: 3 * plane)
    var channel = [Float](repeating: 0, count: iw * ih)
    for c in 0..<3 {
        img.pixels.withUnsafeBufferPointer { px in
            for i in 0..<(iw * ih) { channel[i] = Float(px[3 * i + c]) / 255 }
        }
        let m: Float = mean.isEmpty ? 0 : mean[min(c, mean.count - 1)]
        let s: Float = std.isEmpty ? 1 : std[min(c, std.count - 1)]
        out.withUnsafeMutableBufferPointer { o in
            let dst = UnsafeMutableBufferPointer(rebasing: o[(c * plane)..<((c + 1) * plane)])
            channel.withUnsafeBufferPointer { resamplePlane($0, width: iw, rows: rows, cols: cols, into: dst) }
            for i in 0..<plane { dst[i] = (dst[i] - m) / s }
        }
    }
    return out
}

/// The rectangle of the original image that a model input covers, in whole
/// image pixels: all of it for `stretch`, the source rectangle of the centre
/// crop (`cropGeometry(...).sourceRect`, rounded) for `crop`. Maps over the
/// model input are drawn and scored on this rectangle.
public func inputRegion(imageWidth: Int, imageHeight: Int, resize: ResizeMode,
                        inputHeight: Int, inputWidth: Int) -> (x: Int, y: Int, width: Int, height: Int) {
    guard resize == .crop else { return (0, 0, imageWidth, imageHeight) }
    let r = cropGeometry(imageWidth: imageWidth, imageHeight: imageHeight, width: inputWidth, height: inputHeight).sourceRect
    let x0 = max(0, Int(r.x.rounded())), y0 = max(0, Int(r.y.rounded()))
    return (x0, y0, min(imageWidth - x0, Int(r.width.rounded())), min(imageHeight - y0, Int(r.height.rounded())))
}

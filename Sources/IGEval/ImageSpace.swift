import IGImaging

/// A raw map (at the target layer's resolution, over the model input) placed
/// on the original image: upsampled bilinearly to the part of the image the
/// network saw (all of it for `stretch`, the centre crop for `crop`), zero
/// elsewhere, negatives clipped to 0. The localisation metrics are computed
/// on this map and the annotation's mask at the image's size.
public func imageSpaceMap(_ raw: [Float], height h: Int, width w: Int, imageWidth: Int, imageHeight: Int,
                          resize: ResizeMode, inputHeight: Int, inputWidth: Int) -> [Float] {
    let rect = inputRegion(imageWidth: imageWidth, imageHeight: imageHeight, resize: resize,
                           inputHeight: inputHeight, inputWidth: inputWidth)
    let up = upsampleBilinear(raw.map { max($0, 0) }, height: h, width: w, toHeight: rect.height, toWidth: rect.width)
    if rect.width == imageWidth && rect.height == imageHeight { return up }
    var out = [Float](repeating: 0, count: imageWidth * imageHeight)
    for y in 0..<rect.height {
        for x in 0..<rect.width { out[(rect.y + y) * imageWidth + rect.x + x] = up[y * rect.width + x] }
    }
    return out
}

/// EBPG, Bbox and pointing game of one map against one class's boxes.
public struct LocalisationScores: Sendable, Equatable {
    public var ebpg: Float
    public var bbox: Float
    public var pointingHit: Bool
}

/// The localisation metrics of a raw map for `className` in `annotation`,
/// exactly as `igcam evaluate` computes them (and `igcam score` prints).
public func localisationScores(raw: [Float], height: Int, width: Int, annotation: VOCAnnotation, className: String,
                               includeDifficult: Bool, imageWidth: Int? = nil, imageHeight: Int? = nil,
                               resize: ResizeMode = .stretch,
                               inputHeight: Int = 224, inputWidth: Int = 224) throws -> LocalisationScores {
    let W = imageWidth ?? annotation.width, H = imageHeight ?? annotation.height
    guard W > 0, H > 0 else { throw EvalError.invalidArgument("image size \(W)x\(H) is empty") }
    let map = imageSpaceMap(raw, height: height, width: width, imageWidth: W, imageHeight: H, resize: resize,
                            inputHeight: inputHeight, inputWidth: inputWidth)
    let m = annotation.mask(for: className, includeDifficult: includeDifficult, width: W, height: H)
    return LocalisationScores(ebpg: try ebpg(map: map, mask: m), bbox: try bbox(map: map, mask: m),
                              pointingHit: try pointingGame(map: map, mask: m, width: W, height: H))
}

import CJPEG

/// Decodes JPEG bytes to 8-bit RGB with libjpeg-turbo (via the CJPEG C target,
/// which keeps libjpeg's longjmp error handling inside C). Greyscale is
/// expanded, CMYK/YCCK converted; libjpeg's corrupt-data warnings are errors.
func decodeJPEG(_ bytes: [UInt8], path: String) throws -> RGBImage {
    var res = cjpeg_result()
    let rc = bytes.withUnsafeBufferPointer { cjpeg_decode($0.baseAddress, $0.count, maxImagePixels, &res) }
    guard rc == 0, let px = res.pixels else {
        let msg = withUnsafeBytes(of: &res.error) { raw -> String in
            let b = raw.bindMemory(to: UInt8.self)
            let n = b.firstIndex(of: 0) ?? b.count
            return String(decoding: b[0..<n], as: UTF8.self)
        }
        let kind: ImageError.Kind = res.too_large != 0 ? .invalidArgument
            : res.truncated != 0 || msg.contains("Premature end") ? .truncated : .corrupt
        throw ImageError(kind, path: path, "JPEG: \(msg)")
    }
    defer { cjpeg_free(px) }
    let w = Int(res.width), h = Int(res.height)
    let pixels = Array(UnsafeBufferPointer(start: px, count: w * h * 3))
    return RGBImage(width: w, height: h, pixels: pixels)
}

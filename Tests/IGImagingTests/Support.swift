import XCTest
@testable import IGImaging
#if canImport(Glibc)
import Glibc
#endif

/// Directory holding the committed fixtures (written by tools/make_imaging_fixtures.py).
let fixtureDir: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(2) // IGImagingTests/Support.swift
    return parts.joined(separator: "/") + "/Fixtures/images"
}()

func fixture(_ name: String) -> String { fixtureDir + "/" + name }

/// A fresh empty directory under /tmp, removed by the caller's `defer`.
func makeTempDir() -> String {
    var template = Array("/tmp/igimaging-test-XXXXXX".utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    return String(cString: p!)
}

func removeTree(_ dir: String) {
    for f in listDir(dir) { unlink(dir + "/" + f) }
    rmdir(dir)
}

func listDir(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

func writeBytes(_ bytes: [UInt8], _ path: String) {
    let f = fopen(path, "wb")!
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    fclose(f)
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    var m: Float = 0
    for i in 0..<min(a.count, b.count) { m = max(m, abs(a[i] - b[i])) }
    return m
}

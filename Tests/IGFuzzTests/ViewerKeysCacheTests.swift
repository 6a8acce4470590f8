import Foundation
import XCTest
import IGEngine
import IGFuzzTargets
import IGViewer

/// The viewer-keys target keeps one Composer across inputs (as the viewer keeps one for its
/// session), which is only sound if a cached tile is the one a new render would give: each
/// input must draw the same screen with the shared Composer, after many other inputs, as with
/// a Composer of its own. It would not if a job key's map depended on anything but the key and
/// its progress (the tiles are cached by those): the mutants below change the byte after a map
/// event by 4, which keeps the progress (the byte mod 4) and changes everything else about it.
final class ViewerKeysCacheTests: XCTestCase {
    func testASharedComposerDrawsWhatAFreshOneDraws() throws {
        var inputs = ReplayTests.files("viewer-keys").map { [UInt8](try! Data(contentsOf: $0)) }
        var rng = SplitMix64(seed: 7)
        let keys = Array("npbrovcs+-Mjk[]tdg0123".utf8)
        for _ in 0..<24 {
            var bytes: [UInt8] = [0xF1]
            for _ in 0..<(8 + Int(rng.next() % 24)) {
                switch rng.next() % 6 {
                case 0: bytes += [0xF0, UInt8(rng.next() % 96), UInt8(rng.next() % 96)]
                case 1: bytes += [0xF3, UInt8(rng.next() % 200)]
                case 2: bytes += [0xF4, UInt8(rng.next() % 200)]
                default: bytes.append(keys[Int(rng.next() % UInt64(keys.count))])
                }
            }
            inputs.append(bytes)
            // Its mutant: every map event's byte + 4 (same progress).
            var mutant = bytes
            for i in 0..<(mutant.count - 1) where mutant[i] == 0xF3 || mutant[i] == 0xF4 { mutant[i + 1] &+= 4 }
            inputs.append(mutant)
        }
        let shared = Composer(mode: .c256)
        var freshRenders = 0
        for (n, bytes) in inputs.enumerated() {
            let fresh = Composer(mode: .c256)
            let want = FuzzTargets.viewerKeys(bytes, composer: fresh)
            freshRenders += fresh.renders
            let got = FuzzTargets.viewerKeys(bytes, composer: shared)
            if got != want {
                let cells = zip(got?.cells ?? [], want?.cells ?? []).filter { $0 != $1 }.count
                XCTFail("input \(n) \(bytes): \(cells) cells differ from a fresh Composer's screen")
            }
        }
        // Not vacuous: the shared Composer served tiles from its cache.
        XCTAssertGreaterThan(freshRenders, 0)
        XCTAssertLessThan(shared.renders, freshRenders * 3 / 4, "the shared Composer rendered \(shared.renders) of \(freshRenders) tiles")
    }
}

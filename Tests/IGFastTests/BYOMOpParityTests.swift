import XCTest
import IGTestSupport
import IGEngine
import IGFast

/// The ops added for other exporters (issue 9) run in the fast engine through
/// its reference fallback: forward and backward equal the reference's.
extension OpParityTests {
    func testBYOMOpsThroughTheFallback() throws {
        try single(.padBorder(pads: [0, 0, 1, 2, 0, 0, 2, 1], reflect: false), native: false)
        try single(.padBorder(pads: [0, 0, 1, 2, 0, 0, 2, 1], reflect: true), native: false)
        try single(.logSoftmax(axis: 1), native: false)
        try single(.unary(.hardSigmoid(alpha: 1.0 / 6, beta: 0.5)), native: false)
        try single(.globalMaxPool, native: false)
        try single(.lrn(size: 3, alpha: 1e-2, beta: 0.75, bias: 1), native: false)
        try single(.prelu, extra: ["s"], constants: ["s": randomTensor([4, 1, 1], seed: 96)], native: false)
        try single(.binary(.max), extra: ["m"], constants: ["m": randomTensor([4, 1, 1], seed: 97)], native: false)
    }
}

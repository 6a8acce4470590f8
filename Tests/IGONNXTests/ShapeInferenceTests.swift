import XCTest
import IGEngine

final class ShapeInferenceTests: XCTestCase {
    func testConvAndPoolByHand() throws {
        // 224 input, 7x7 stride 2 pad 3 -> 112; 3x3 s2 p1 maxpool -> 56.
        XCTAssertEqual(try inferOutputShape(.conv(ConvAttributes(strides: [2, 2], pads: [3, 3, 3, 3])),
                                            inputs: [[2, 3, 224, 224], [64, 3, 7, 7], [64]]), [2, 64, 112, 112])
        XCTAssertEqual(try inferOutputShape(.maxPool(PoolAttributes(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1])),
                                            inputs: [[1, 64, 112, 112]]), [1, 64, 56, 56])
        // ceil mode: 15 with k3 s2 -> ceil(12/2)+1 = 7; 6 with k3 s2 p1 ceil -> 4 but the last window would start in the
        // end padding (6 >= 6+1? no) -> 4.
        XCTAssertEqual(try inferOutputShape(.maxPool(PoolAttributes(kernel: [3, 3], strides: [2, 2], ceilMode: true)),
                                            inputs: [[1, 1, 15, 16]]), [1, 1, 7, 8])
        // Dilated grouped conv.
        XCTAssertEqual(try inferOutputShape(.conv(ConvAttributes(pads: [2, 2, 2, 2], dilations: [2, 2], group: 2)),
                                            inputs: [[1, 8, 8, 8], [8, 4, 3, 3]]), [1, 8, 8, 8])
    }

    func testMismatchesThrow() {
        XCTAssertThrowsError(try inferOutputShape(.conv(ConvAttributes()), inputs: [[1, 3, 8, 8], [4, 2, 3, 3]])) { e in
            XCTAssertTrue(e is ShapeError); XCTAssertTrue("\(e)".contains("Conv"))
        }
        XCTAssertThrowsError(try inferOutputShape(.binary(.add), inputs: [[1, 3, 4], [1, 2, 4]]))
        XCTAssertThrowsError(try inferOutputShape(.gemm(GemmAttributes()), inputs: [[1, 4], [5, 3]]))
        XCTAssertThrowsError(try inferOutputShape(.squeeze(axes: [1]), inputs: [[1, 3]]))
        XCTAssertThrowsError(try inferOutputShape(.reshape(shape: [1, 5]), inputs: [[1, 2, 3]]))
        XCTAssertThrowsError(try inferOutputShape(.transpose(perm: [0, 1]), inputs: [[1, 2, 3]]))
    }

    func testOtherOps() throws {
        XCTAssertEqual(try inferOutputShape(.reshape(shape: [1, -1]), inputs: [[3, 4, 2, 2]]), [3, 16])
        XCTAssertEqual(try inferOutputShape(.reshape(shape: [1, 0, -1]), inputs: [[3, 4, 2, 2]]), [3, 4, 4])
        XCTAssertEqual(try inferOutputShape(.matMul, inputs: [[2, 4, 64], [64, 6]]), [2, 4, 6])
        XCTAssertEqual(try inferOutputShape(.gemm(GemmAttributes(transB: true)), inputs: [[2, 4], [5, 4], [5]]), [2, 5])
        XCTAssertEqual(try inferOutputShape(.flatten(axis: 1), inputs: [[2, 4, 3, 3]]), [2, 36])
        XCTAssertEqual(try inferOutputShape(.concat(axis: 1), inputs: [[1, 2, 5], [1, 3, 5]]), [1, 5, 5])
        XCTAssertEqual(try inferOutputShape(.pad(pads: [0, 0, 1, 2, 0, 0, 3, 4], value: 0), inputs: [[1, 2, 5, 5]]), [1, 2, 9, 11])
        XCTAssertEqual(try inferOutputShape(.reduceMean(axes: [2, 3], keepDims: false), inputs: [[1, 2, 5, 5]]), [1, 2])
        XCTAssertEqual(try inferOutputShape(.unsqueeze(axes: [2, 3]), inputs: [[1, 2]]), [1, 2, 1, 1])
        XCTAssertEqual(try inferOutputShape(.transpose(perm: [0, 2, 3, 1]), inputs: [[1, 2, 5, 6]]), [1, 5, 6, 2])
        XCTAssertEqual(try inferOutputShape(.binary(.mul), inputs: [[1, 4, 8, 8], [1, 4, 1, 1]]), [1, 4, 8, 8])
    }
}

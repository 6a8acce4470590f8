import XCTest
@testable import IGONNX

final class IGONNXSmokeTests: XCTestCase {
    func testModuleLinks() {}
}

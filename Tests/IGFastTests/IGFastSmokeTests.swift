import XCTest
@testable import IGFast

final class IGFastSmokeTests: XCTestCase {
    func testModuleLinks() {}
}

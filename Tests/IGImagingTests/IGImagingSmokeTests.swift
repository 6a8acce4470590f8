import XCTest
@testable import IGImaging

final class IGImagingSmokeTests: XCTestCase {
    func testModuleLinks() {}
}

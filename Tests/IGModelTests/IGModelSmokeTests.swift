import XCTest
@testable import IGModel

final class IGModelSmokeTests: XCTestCase {
    func testModuleLinks() {}
}

import XCTest
@testable import IGExplain

final class IGExplainSmokeTests: XCTestCase {
    func testModuleLinks() {}
}

import XCTest
@testable import IGEngine

final class IGEngineSmokeTests: XCTestCase {
    func testModuleLinks() {}
}

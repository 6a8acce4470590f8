import XCTest
@testable import IGEval

final class IGEvalSmokeTests: XCTestCase {
    func testModuleLinks() {}
}

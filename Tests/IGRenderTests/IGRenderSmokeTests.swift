import XCTest
@testable import IGRender

final class IGRenderSmokeTests: XCTestCase {
    func testModuleLinks() {}
}

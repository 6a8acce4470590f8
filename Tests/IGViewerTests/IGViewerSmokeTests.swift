import XCTest
@testable import IGViewer

final class IGViewerSmokeTests: XCTestCase {
    func testModuleLinks() {}
}

import XCTest
@testable import IGCLI

final class IGCLISmokeTests: XCTestCase {
    func testModuleLinks() {}
}

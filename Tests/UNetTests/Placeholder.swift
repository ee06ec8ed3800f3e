import XCTest
import UNet
final class UNetPlaceholderTests: XCTestCase { func testBuilds() {} }

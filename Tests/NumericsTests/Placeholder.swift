import XCTest
import Numerics
final class NumericsPlaceholderTests: XCTestCase { func testBuilds() {} }

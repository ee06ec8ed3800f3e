import XCTest
import Tensor
final class TensorPlaceholderTests: XCTestCase { func testBuilds() {} }

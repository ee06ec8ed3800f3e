import ImageIO
import XCTest

final class ImageTests: XCTestCase {
    func testValidImage() throws {
        let image = try Image(width: 2, height: 3, channels: 3, pixels: Array(repeating: 7, count: 18))
        XCTAssertEqual(image.width, 2)
        XCTAssertEqual(image.height, 3)
        XCTAssertEqual(image.channels, 3)
    }

    func testInconsistentImagesAreRejected() {
        assertMessage(expectError { try Image(width: 2, height: 2, channels: 1, pixels: [1, 2, 3]) },
                      contains: "4 samples", "got 3")
        assertMessage(expectError { try Image(width: 1, height: 1, channels: 2, pixels: [1, 2]) },
                      contains: "2 channels")
        assertMessage(expectError { try Image(width: 0, height: 5, channels: 1, pixels: []) },
                      contains: "0×5")
        expectError { try Image(width: Int.max, height: 3, channels: 3, pixels: []) }
    }
}

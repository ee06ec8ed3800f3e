import Codec
import ImageIO
import XCTest

/// The bundled model is chosen from the content: never the clothing model for a gray photo.
final class BundledModelChoiceTests: XCTestCase {
    /// A 28×28 gray item: a bright blob in the middle of a ground of level `ground`.
    func item(ground: UInt8, side: Int = 28) throws -> Image {
        var pixels = [UInt8](repeating: ground, count: side * side)
        for y in 6..<(side - 6) { for x in 8..<(side - 8) { pixels[y * side + x] = UInt8(120 + (x * y) % 100) } }
        return try Image(width: side, height: side, channels: 1, pixels: pixels)
    }

    /// A smooth gray gradient with texture, like a photo crop.
    func photo(width: Int, height: Int) throws -> Image {
        let pixels = (0..<(width * height)).map { i in UInt8(40 + (i % width) + (i / width) / 2 + (i * 7) % 13) }
        return try Image(width: width, height: height, channels: 1, pixels: pixels)
    }

    func testClothingItemsGoToTheClothingModel() throws {
        XCTAssertEqual(BundledModelChoice.choose(for: [try item(ground: 0)]).choice, .clothing)
        // Near-black grounds count as black (Fashion-MNIST's borders hold a few levels above 0).
        XCTAssertEqual(BundledModelChoice.choose(for: [try item(ground: 8), try item(ground: 3)]).choice, .clothing)
    }

    func testGrayPhotosGoToTheGrayPhotoModel() throws {
        // Any size other than 28×28.
        XCTAssertEqual(BundledModelChoice.choose(for: [try photo(width: 128, height: 128)]).choice, .grayPhoto)
        XCTAssertEqual(BundledModelChoice.choose(for: [try photo(width: 64, height: 40)]).choice, .grayPhoto)
        // 28×28 without a black ground: a photo crop, not a clothing item.
        XCTAssertEqual(BundledModelChoice.choose(for: [try photo(width: 28, height: 28)]).choice, .grayPhoto)
        XCTAssertEqual(BundledModelChoice.choose(for: [try item(ground: 9)]).choice, .grayPhoto)
        // One photo-sized image in a set of items is enough to leave the clothing model.
        XCTAssertEqual(BundledModelChoice.choose(for: [try item(ground: 0), try photo(width: 32, height: 32)]).choice,
                       .grayPhoto)
    }

    func testTheRingDecidesOverTheWholeInput() throws {
        // Half of the ring dark over the input: the clothing model (the threshold is inclusive).
        let mostlyDark = [try item(ground: 0), try item(ground: 0), try item(ground: 200)]
        XCTAssertEqual(BundledModelChoice.choose(for: mostlyDark).choice, .clothing)
        let mostlyLight = [try item(ground: 0), try item(ground: 200), try item(ground: 200)]
        XCTAssertEqual(BundledModelChoice.choose(for: mostlyLight).choice, .grayPhoto)
    }

    func testRGBGoesToThePhotoModel() throws {
        func rgb(_ width: Int, _ height: Int) throws -> Image {
            try Image(width: width, height: height, channels: 3, pixels: [UInt8](repeating: 0, count: width * height * 3))
        }
        // Inputs of at most 4 patches of 32×32 in all: the whole-image model (no bits-back across patches to gain).
        XCTAssertEqual(BundledModelChoice.choose(for: [try rgb(28, 28)]).choice, .wholePhoto)
        XCTAssertEqual(BundledModelChoice.choose(for: [try rgb(64, 64)]).choice, .wholePhoto)
        XCTAssertEqual(BundledModelChoice.choose(for: [try rgb(33, 64)]).choice, .wholePhoto)
        XCTAssertEqual(BundledModelChoice.choose(for: [try rgb(32, 32), try rgb(20, 40), try rgb(8, 8)]).choice, .wholePhoto)
        // More: the patch model (an edge patch counts whole).
        XCTAssertEqual(BundledModelChoice.choose(for: [try rgb(65, 64)]).choice, .photo)
        XCTAssertEqual(BundledModelChoice.choose(for: [try rgb(128, 128)]).choice, .photo)
        XCTAssertEqual(BundledModelChoice.choose(for: [try rgb(64, 64), try rgb(10, 10)]).choice, .photo)
        XCTAssertEqual(BundledModelChoice.photo.name, "photo32")
        XCTAssertEqual(BundledModelChoice.wholePhoto.name, "photo")
        XCTAssertEqual(BundledModelChoice.grayPhoto.name, "gray32")
        XCTAssertEqual(BundledModelChoice.clothing.name, "fmnist28")
    }
}

@testable import Codec
import ImageIO
import XCTest

/// Alpha planes ride beside the colour the model codes: exact in every route, present in previews,
/// counted in the pixel checksum, and refused cleanly when damaged.
final class AlphaTests: XCTestCase {
    static func withAlpha(_ item: NamedImage, _ alpha: (Int) -> UInt8) throws -> NamedImage {
        let count = item.image.width * item.image.height
        return NamedImage(name: item.name, image: try item.image.withAlpha((0..<count).map(alpha)))
    }

    /// Constant, a mask with edges, a ramp, and an image without alpha, in one archive.
    func mixed() throws -> [NamedImage] {
        [try Self.withAlpha(try randomImage("const", width: 8, height: 8, channels: 3, seed: 1)) { _ in 255 },
         try Self.withAlpha(try randomImage("mask", width: 9, height: 7, channels: 3, seed: 2)) { $0 % 9 > 4 ? 0 : 255 },
         try randomImage("none", width: 8, height: 8, channels: 3, seed: 3),
         try Self.withAlpha(try randomImage("ramp", width: 5, height: 3, channels: 3, seed: 4)) { UInt8($0 * 17) }]
    }

    func testTheSectionRoundTripsEveryPlaneAndCostsLittleWhenConstant() throws {
        let images = try mixed()
        let section = try XCTUnwrap(AlphaPlanes.section(images.map(\.image)))
        let entries = images.map { ImageEntry(name: $0.name, width: $0.image.width, height: $0.image.height, channels: 3) }
        XCTAssertEqual(try AlphaPlanes.planes([section], entries: entries), images.map(\.image.alpha))
        XCTAssertNil(AlphaPlanes.section([images[2].image]), "no alpha, no section")
        XCTAssertEqual(AlphaPlanes.section([images[0].image])?.payload, [1, 255], "a constant plane is two bytes")
    }

    func testDamagedSectionsAreErrorsNotCrashes() throws {
        let images = try mixed()
        let entries = images.map { ImageEntry(name: $0.name, width: $0.image.width, height: $0.image.height, channels: 3) }
        let payload = try XCTUnwrap(AlphaPlanes.section(images.map(\.image))).payload
        for cut in 0..<payload.count {
            XCTAssertThrowsError(try AlphaPlanes.planes([Section(kind: .alpha, payload: Array(payload.prefix(cut)))], entries: entries))
        }
        XCTAssertThrowsError(try AlphaPlanes.planes([Section(kind: .alpha, payload: payload + [0])], entries: entries))
        XCTAssertThrowsError(try AlphaPlanes.planes([Section(kind: .alpha, payload: [7] + payload.dropFirst())], entries: entries))
        // A plane that decompresses to another size than its image's.
        let wrong = try XCTUnwrap(AlphaPlanes.section([try Self.withAlpha(try randomImage("x", width: 4, height: 4, channels: 3, seed: 5)) { UInt8($0) }.image]))
        XCTAssertThrowsError(try AlphaPlanes.planes([wrong], entries: [ImageEntry(name: "x", width: 5, height: 4, channels: 3)]))
    }

    func testLosslessArchivesGiveBackTheirAlphaAndTheChecksumCoversIt() throws {
        let images = try mixed()
        let codec = try LosslessCodec(model: try fixtureModel("opt-scale-shift"))
        var p = CodingParameters()
        p.steps = 3
        p.bootstrap = 0
        let (bytes, _) = try codec.encode(images, kind: .folder, parameters: p)
        XCTAssertEqual(try codec.decode(bytes).images, images)
        // The same colour without alpha makes another checksum: a decode that lost the plane is caught.
        XCTAssertNotEqual(LosslessCodec.pixelDigest(images.map(\.image)),
                          LosslessCodec.pixelDigest(try images.map { try $0.image.withAlpha(nil) }))
        // The colour's bits with another file's alpha section (the same colour, other opacities): the
        // colour decodes, and the digest its stack ends on catches the planes.
        let other = try images.map { named -> NamedImage in
            guard let alpha = named.image.alpha else { return named }
            return NamedImage(name: named.name, image: try named.image.withAlpha(alpha.map { $0 ^ 1 }))
        }
        let (otherBytes, _) = try codec.encode(other, kind: .folder, parameters: p)
        let mine = try DDPMFile.decode(bytes), theirs = try DDPMFile.decode(otherBytes)
        let swapped = DDPMFile.encode(header: mine.header, sections: mine.sections.map { s in
            s.kind == .alpha ? theirs.sections.first { $0.kind == .alpha }! : s
        })
        XCTAssertThrowsError(try codec.decode(swapped)) { XCTAssertTrue("\($0)".contains("checksum"), "\($0)") }
    }

    func testProgressiveFilesCarryAlphaIntoPreviewsAndTheExactDecode() throws {
        let images = try mixed()
        let codec = try ProgressiveCodec(model: try fixtureModel("opt-scale-shift"))
        let r = try codec.encode(images, kind: .folder, parameters: ProgressiveTests.parameters(steps: 4, losslessAfter: 2))
        XCTAssertEqual(try codec.decode(r.bytes).images, images)
        // A prefix that ends inside the stream still holds the alpha section (it comes first).
        let preview = try codec.decode(Array(r.bytes.prefix(r.headerBytes + r.progressiveBytes / 2)))
        XCTAssertFalse(preview.exact)
        XCTAssertEqual(preview.images.map(\.image.alpha), images.map(\.image.alpha))
        XCTAssertEqual(preview.headerBits, r.headerBytes * 8, "the stream starts after the alpha section")
    }
}

@testable import Codec
import Diffusion
import EntropyCoding
import ImageIO
import XCTest

/// The progressive stream's budget ladder and the encoder's candidate choice.
final class BudgetLevelTests: XCTestCase {
    func testTheLadderIsWholeBitsThenGeometric() {
        let bits = BudgetLevel.bits
        XCTAssertEqual(Array(bits.prefix(8)), [0, 1, 2, 3, 4, 5, 6, 7])
        XCTAssertGreaterThan(bits.last!, 1 << 31 - 1, "every budget a stream may hold has a level")
        for (a, b) in zip(bits, bits.dropFirst()) {
            XCTAssertGreaterThan(b, a)
            if a >= 40 { XCTAssertLessThanOrEqual(Double(b) / Double(a), 1.16) }
        }
        XCTAssertLessThan(bits.count, 160, "levels stay small numbers")
    }

    func testALevelCoversTheKLAndHoldsWhileTheKLStaysClose() {
        for kl in [0.0, 0.4, 0.6, 3.2, 17.0, 95.5, 1234.0, 98_765.4] {
            let m = BudgetLevel.choose(kl: kl, previous: -1)
            XCTAssertGreaterThanOrEqual(BudgetLevel.bits[m], Int(kl.rounded()), "kl \(kl)")
            if m > 0 { XCTAssertLessThan(BudgetLevel.bits[m - 1], Int(kl.rounded()), "the lowest such level, kl \(kl)") }
        }
        let m = BudgetLevel.choose(kl: 500, previous: -1)
        let k = Double(BudgetLevel.bits[m])
        XCTAssertEqual(BudgetLevel.choose(kl: k / 1.2, previous: m), m, "a budget 20 % over the KL is kept")
        XCTAssertEqual(BudgetLevel.choose(kl: k / 0.9, previous: m), m, "a budget 10 % under the KL is kept")
        XCTAssertNotEqual(BudgetLevel.choose(kl: k / 1.4, previous: m), m)
        XCTAssertNotEqual(BudgetLevel.choose(kl: k / 0.7, previous: m), m)
    }

    /// A stream of one item codes a level change without zero (its step flag said it moved); a
    /// stream of several codes every item's change, zero included. Both read back exactly.
    func testLevelChangesReadBack() throws {
        let changes = [1, -1, 2, -2, 3, 17, -40, 1_000, -1_000_000]
        for lone in [true, false] {
            var w = BitWriter()
            for d in changes { ProgressiveCoder.writeLevelChange(d, loneItem: lone, to: &w) }
            if !lone { ProgressiveCoder.writeLevelChange(0, loneItem: false, to: &w) }
            var r = BitReader(bytes: w.bytes, bitLimit: w.bitCount)
            for d in changes { XCTAssertEqual(ProgressiveCoder.readLevelChange(loneItem: lone, from: &r), d) }
            if !lone { XCTAssertEqual(ProgressiveCoder.readLevelChange(loneItem: false, from: &r), 0) }
            XCTAssertEqual(r.remaining, 0)
        }
        var one = BitWriter(), many = BitWriter()
        ProgressiveCoder.writeLevelChange(1, loneItem: true, to: &one)
        ProgressiveCoder.writeLevelChange(1, loneItem: false, to: &many)
        XCTAssertEqual(one.bitCount, 1, "a lone item's commonest change, +1, takes one bit")
        XCTAssertEqual(many.bitCount, 3)
    }

    /// The decoder reads indices and never asks how they were chosen: a file whose encoder took
    /// the likeliest candidates (any file that ends exact) decodes exactly.
    func testLikeliestCandidatesDecodeExactly() throws {
        let model = try fixtureModel("gray28-plain")
        let codec = try ProgressiveCodec(model: model)
        let image = try randomImage("a.png", width: 28, height: 28, channels: 1, seed: 11)
        var p = ProgressiveTests.parameters(steps: 6, chunkBits: 8, losslessAfter: 1)
        p.spacing = .quadratic
        let r = try codec.encode([image], kind: .png, parameters: p)
        let d = try codec.decode(r.bytes)
        XCTAssertTrue(d.exact)
        XCTAssertEqual(d.images.map(\.image), [image.image])
        XCTAssertEqual(r.records.count, 6)
        let choice = ProgressiveCoder(network: try ProgressiveTests.network(model, steps: 6), seed: 1, chunkBits: 8, slackBits: 0,
                                      lastStep: 1).choice
        XCTAssertEqual(choice, .sample, "a lossy stream's latents are samples unless asked otherwise")
    }
}

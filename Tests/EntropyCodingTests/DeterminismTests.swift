import EntropyCoding
import XCTest

/// Fingerprints of the exact integers that reach the bitstream: cumulative frequencies,
/// virtual words and a serialized stack. Encoder and decoder must agree on them on every
/// machine and in every build configuration, so a change here is a format change.
final class DeterminismTests: XCTestCase {
    static let golden: [String: UInt64] = [
        "gaussianCumulative": 0x216C_F05C_CF0E_C710,
        "pixelCumulative": 0x1890_FB63_2F4A_4998,
        "virtualWords": 0x95C4_3B88_D4C3_FD2A,
        "stream": 0x051B_DE0D_D7BD_8AF4,
    ]

    func testGoldenBits() throws {
        var rng = TestRNG(0xD5)
        var got: [String: UInt64] = [:]

        var h = BitHash()
        for _ in 0..<300 {
            let delta = rng.logUniform(1e-4, 1)
            let k = rng.int(1...100_000)
            let grid = try GaussianGrid(delta: delta, symbols: -k...rng.int(-k...k), precision: rng.int(20...30))
            let codec = try DiscretizedGaussianCodec(mean: rng.uniform(-1.5, 1.5) * Double(k) * delta,
                                                     std: delta * rng.logUniform(1e-2, 1e4), grid: grid)
            for _ in 0..<20 { h.add(codec.cumulativeFrequency(ofBin: rng.int(0...grid.binCount))) }
        }
        got["gaussianCumulative"] = h.value

        h = BitHash()
        for _ in 0..<200 {
            let codec = try DiscretizedGaussianPixelCodec(mean: rng.uniform(-1.2, 1.2), std: rng.logUniform(1e-4, 2))
            for v in stride(from: 0, through: 255, by: 5) { h.add(UInt64(try codec.interval(of: UInt8(v)).start)) }
        }
        got["pixelCumulative"] = h.value

        h = BitHash()
        var stack = RANSStack(seed: 0x1234_5678_9ABC)
        let bits = try UniformCodec(count: 1 << 32)
        for _ in 0..<64 { h.add(UInt64(bits.pop(from: &stack))) }
        got["virtualWords"] = h.value

        h = BitHash()
        let grid = try GaussianGrid(delta: 1.0 / 128, bound: 4)
        var encoder = RANSStack(seed: 5)
        let means = (0..<2_000).map { _ in rng.uniform(-2, 2) }
        let latents = try grid.pop(means: means, std: 0.1, from: &encoder)
        try grid.push(latents, means: [Double](repeating: 0, count: latents.count), std: 1, onto: &encoder)
        for word in encoder.serializedWords() { h.add(UInt64(word)) }
        got["stream"] = h.value

        for (name, value) in got.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(value, Self.golden[name], "\(name): output bits changed (hash 0x\(String(value, radix: 16)))")
        }
    }
}

import Numerics
import XCTest

/// Fingerprints of exact output bits. Encoder and decoder must agree bit for bit on every
/// machine and in every build configuration, so these hashes are part of the format: they
/// must match in debug and release, on x86-64 and arm64. A change here means streams written
/// before the change no longer decode; change the hashes only together with a format version.
final class DeterminismTests: XCTestCase {
    static let golden: [String: UInt64] = [
        "exp": 0x677011ECE35CD155,
        "expm1": 0xECCE2904B2074680,
        "log": 0xA2451949870013BF,
        "log1p": 0xD1C93671E4AEC42A,
        "sin": 0xB61ACC8369884C00,
        "cos": 0x7D9980B1C9E8F7A9,
        "tanh": 0x81AE688918281E4E,
        "erf": 0x3D53A258A0BA9B08,
        "erfc": 0xF63708FD4053ECE2,
        "normalCDF": 0x41A194DD46963AF8,
        "logNormalCDF": 0x62374B29D96D7B9E,
        "gaussianBinMass": 0x13C8639B64C0408F,
        "expFloat": 0x92DAE2FD62E77704,
        "silu": 0xD168E74884408814,
        "standardNormal": 0x6C34B0C93FF4EADB,
    ]

    func testGoldenBits() {
        var rng = TestRNG(0x5EED)
        var inputs: [Double] = []
        for _ in 0..<2_000 { inputs.append(rng.uniform(-1, 1)) }
        for _ in 0..<2_000 { inputs.append(rng.uniform(-40, 40)) }
        for _ in 0..<1_000 { inputs.append(rng.uniform(-750, 750)) }
        for _ in 0..<500 { inputs.append(Double(bitPattern: rng.next())) }  // any bits, nan and inf included
        let positive = inputs.map { Swift.abs($0) }

        func hash(_ xs: [Double], _ f: (Double) -> Double) -> UInt64 {
            var h = BitHash()
            for x in xs { h.add(f(x)) }
            return h.value
        }
        var got: [String: UInt64] = [:]
        got["exp"] = hash(inputs, DetMath.exp)
        got["expm1"] = hash(inputs, DetMath.expm1)
        got["log"] = hash(positive, DetMath.log)
        got["log1p"] = hash(inputs, DetMath.log1p)
        got["sin"] = hash(inputs, DetMath.sin)
        got["cos"] = hash(inputs, DetMath.cos)
        got["tanh"] = hash(inputs, DetMath.tanh)
        got["erf"] = hash(inputs, DetMath.erf)
        got["erfc"] = hash(inputs, DetMath.erfc)
        got["normalCDF"] = hash(inputs, DetMath.normalCDF)
        got["logNormalCDF"] = hash(inputs, DetMath.logNormalCDF)
        got["gaussianBinMass"] = hash(inputs) { x in
            let lower = (x * 0.03).rounded(.down) / 0.03
            return DetMath.gaussianBinMass(lower: lower, upper: lower + 2.0 / 255, mean: x * 0.01, std: 0.01 + Swift.abs(x) * 0.002)
        }
        got["expFloat"] = hash(inputs) { Double(DetMath.expFloat(Float($0))) }
        got["silu"] = hash(inputs) { Double(DetMath.silu(Float($0))) }
        var h = BitHash()
        for i in 0..<UInt64(5_000) { h.add(Philox4x32.standardNormal(seed: 0xC0DEC, stream: i % 3, index: i * 7919)) }
        got["standardNormal"] = h.value

        for (name, value) in got.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(value, Self.golden[name], "\(name): output bits changed (hash 0x\(String(value, radix: 16)))")
        }
    }
}

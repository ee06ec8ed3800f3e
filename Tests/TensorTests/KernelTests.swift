import XCTest
import Foundation
import Numerics
import Tensor

final class ExactGEMMTests: XCTestCase {
    /// The exact GEMM must equal the integer product computed independently in Int64.
    func testQuantizedProductIsExactInteger() {
        var rng = TestRNG(state: 1)
        for (m, n, k) in [(1, 1, 1), (7, 5, 13), (33, 17, 300), (3, 64, 4608)] {
            let a = rng.array(m * k, scale: 3), b = rng.array(n * k, scale: 0.01)
            var out = [Float](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in out.withUnsafeMutableBufferPointer { op in
                ExactGEMM.multiplyABt(ap.baseAddress!, m: m, bp.baseAddress!, n: n, k: k, into: op.baseAddress!, outStride: n)
            } } }
            // Independent reference: quantize the same way, multiply in Int64.
            let bits = ExactGEMM.symmetricBits(k: k)
            func quant(_ x: [Float], rows: Int) -> ([Int64], [Double]) {
                var q = [Double](repeating: 0, count: x.count), s = [Double](repeating: 0, count: rows)
                x.withUnsafeBufferPointer { xp in q.withUnsafeMutableBufferPointer { qp in s.withUnsafeMutableBufferPointer { sp in
                    ExactGEMM.quantizeRows(xp.baseAddress!, rows: rows, k: k, bits: bits, into: qp.baseAddress!, scales: sp.baseAddress!)
                } } }
                return (q.map { Int64(exactly: $0)! }, s)
            }
            let (qa, sa) = quant(a, rows: m), (qb, sb) = quant(b, rows: n)
            for i in 0..<m { for j in 0..<n {
                var acc: Int64 = 0
                for l in 0..<k { acc += qa[i * k + l] * qb[j * k + l] }
                XCTAssertLessThan(abs(acc), Int64(1) << 53)
                XCTAssertEqual(out[i * n + j], Float(Double(acc) * (sa[i] * sb[j])), "(\(m),\(n),\(k)) at \(i),\(j)")
            } }
            // And it is close to the real product.
            let ref = Reference.matmulABt(a, m: m, b, n: n, k: k).map(Float.init)
            XCTAssertLessThan(maxRelativeError(out, ref), 1e-5)
        }
    }

    func testQuantizationRoundsHalfToEvenAndHandlesZeroRows() {
        XCTAssertEqual(ExactGEMM.roundHalfEven(2.5), 2)
        XCTAssertEqual(ExactGEMM.roundHalfEven(3.5), 4)
        XCTAssertEqual(ExactGEMM.roundHalfEven(-2.5), -2)
        XCTAssertEqual(ExactGEMM.roundHalfEven(-0.4), 0)
        XCTAssertEqual(ExactGEMM.roundHalfEven(1_048_575.5), 1_048_576)
        let zeros = [Float](repeating: 0, count: 8)
        var q = [Double](repeating: 1, count: 8), s = [Double](repeating: 1, count: 1)
        zeros.withUnsafeBufferPointer { z in q.withUnsafeMutableBufferPointer { qp in s.withUnsafeMutableBufferPointer { sp in
            ExactGEMM.quantizeRows(z.baseAddress!, rows: 1, k: 8, bits: 20, into: qp.baseAddress!, scales: sp.baseAddress!)
        } } }
        XCTAssertEqual(q, zeros.map(Double.init))
        XCTAssertEqual(s, [0])
    }

    func testBitBudgetsKeepProductsBelow2to53() {
        for k in [1, 2, 9, 288, 1152, 2304, 4608, 9216, 65536] {
            let a = ExactGEMM.activationBits(k: k, otherBits: ExactGEMM.weightBits)
            XCTAssertLessThanOrEqual(Double((1 << a) - 1) * Double((1 << ExactGEMM.weightBits) - 1) * Double(k), 0x1p53)
            let s = ExactGEMM.symmetricBits(k: k)
            XCTAssertLessThanOrEqual(Double((1 << s) - 1) * Double((1 << s) - 1) * Double(k), 0x1p53)
        }
    }
}

final class LayerTests: XCTestCase {
    func testConvMatchesNaiveOverAwkwardShapes() {
        var rng = TestRNG(state: 7)
        let cases: [(b: Int, h: Int, w: Int, cin: Int, cout: Int, k: Int, stride: Int, pad: (Int, Int, Int, Int))] = [
            (1, 1, 1, 1, 1, 3, 1, (1, 1, 1, 1)),
            (2, 5, 7, 3, 4, 3, 1, (1, 1, 1, 1)),
            (3, 7, 7, 5, 6, 3, 2, (0, 0, 1, 1)),   // diffusers Downsample2D, padding 0
            (1, 8, 6, 4, 4, 3, 2, (1, 1, 1, 1)),
            (2, 4, 9, 7, 3, 1, 1, (0, 0, 0, 0)),   // 1×1 shortcut
            (1, 28, 28, 1, 13, 3, 1, (1, 1, 1, 1)),
        ]
        for c in cases {
            let x = FeatureMap(batch: c.b, height: c.h, width: c.w, channels: c.cin, data: rng.array(c.b * c.h * c.w * c.cin))
            let w = rng.array(c.cout * c.cin * c.k * c.k, scale: 0.5), bias = rng.array(c.cout)
            let conv = Conv2D(weight: w, bias: bias, inChannels: c.cin, outChannels: c.cout, kernel: c.k, stride: c.stride,
                              padding: (c.pad.0, c.pad.1, c.pad.2, c.pad.3))
            let got = conv(x), want = Reference.conv(x, weight: w, bias: bias, cout: c.cout, k: c.k, stride: c.stride, pad: c.pad)
            XCTAssertEqual([got.height, got.width, got.channels], [want.height, want.width, want.channels])
            XCTAssertLessThan(maxRelativeError(got.data, want.data), 2e-6, "\(c)")
        }
    }

    func testLinearMatchesNaive() {
        var rng = TestRNG(state: 11)
        for (m, n, k) in [(1, 1, 1), (4, 37, 29), (130, 16, 512)] {
            let x = rng.array(m * k), w = rng.array(n * k), b = rng.array(n)
            let got = Linear(weight: w, bias: b, outputs: n, inputs: k)(Matrix(rows: m, cols: k, data: x))
            var want = Reference.matmulABt(x, m: m, w, n: n, k: k)
            for i in 0..<m { for j in 0..<n { want[i * n + j] += Double(b[j]) } }
            XCTAssertLessThan(maxRelativeError(got.data, want.map(Float.init)), 2e-6)
        }
    }

    func testGroupNormMatchesNaiveWithAndWithoutSiLU() {
        var rng = TestRNG(state: 3)
        for (b, h, w, c, g) in [(1, 1, 1, 4, 2), (2, 5, 3, 12, 4), (3, 7, 7, 32, 32), (1, 4, 4, 6, 1)] {
            let x = FeatureMap(batch: b, height: h, width: w, channels: c, data: rng.array(b * h * w * c, scale: 4).map { $0 + 1 })
            let gamma = rng.array(c).map { $0 + 1 }, beta = rng.array(c, scale: 0.1)
            let norm = GroupNorm(groups: g, channels: c, eps: 1e-5, gamma: gamma, beta: beta)
            let want = Reference.groupNorm(x, groups: g, eps: 1e-5, gamma: gamma, beta: beta)
            XCTAssertLessThan(maxRelativeError(norm(x).data, want.data), 1e-6)
            let fused = norm(x, silu: true).data
            let sig = want.data.map { Float(Double($0) / (1 + Foundation.exp(-Double($0)))) }
            XCTAssertLessThan(maxRelativeError(fused, sig), 1e-6)
        }
    }

    func testAttentionMatchesNaive() {
        var rng = TestRNG(state: 5)
        for (b, h, w, c, heads) in [(1, 1, 1, 4, 1), (2, 3, 5, 8, 2), (1, 4, 4, 12, 3)] {
            let x = FeatureMap(batch: b, height: h, width: w, channels: c, data: rng.array(b * h * w * c))
            func lin() -> (Linear, [Float], [Float]) {
                let wt = rng.array(c * c, scale: 0.6), bs = rng.array(c, scale: 0.1)
                return (Linear(weight: wt, bias: bs, outputs: c, inputs: c), wt, bs)
            }
            let (q, wq, bq) = lin(), (k, wk, bk) = lin(), (v, wv, bv) = lin(), (o, wo, bo) = lin()
            let gamma = [Float](repeating: 1, count: c), beta = [Float](repeating: 0, count: c)
            let norm = GroupNorm(groups: 1, channels: c, eps: 1e-6, gamma: gamma, beta: beta)
            let attn = SpatialSelfAttention(norm: norm, toQ: q, toK: k, toV: v, toOut: o, heads: heads, rescaleOutputFactor: 2)
            let got = attn(x)
            // Naive reference in Double.
            let hn = Reference.groupNorm(x, groups: 1, eps: 1e-6, gamma: gamma, beta: beta)
            let t = h * w, d = c / heads
            func proj(_ wt: [Float], _ bs: [Float], _ input: [Float]) -> [Double] {
                var r = Reference.matmulABt(input, m: b * t, wt, n: c, k: c)
                for i in 0..<(b * t) { for j in 0..<c { r[i * c + j] += Double(bs[j]) } }
                return r
            }
            let Q = proj(wq, bq, hn.data), K = proj(wk, bk, hn.data), V = proj(wv, bv, hn.data)
            var att = [Float](repeating: 0, count: b * t * c)
            for bb in 0..<b { for hd in 0..<heads { for i in 0..<t {
                var s = [Double](repeating: 0, count: t)
                for j in 0..<t {
                    var dot = 0.0
                    for e in 0..<d { dot += Q[(bb * t + i) * c + hd * d + e] * K[(bb * t + j) * c + hd * d + e] }
                    s[j] = dot / Double(d).squareRoot()
                }
                let m = s.max()!
                s = s.map { Foundation.exp($0 - m) }
                let z = s.reduce(0, +)
                for e in 0..<d {
                    var acc = 0.0
                    for j in 0..<t { acc += s[j] / z * V[(bb * t + j) * c + hd * d + e] }
                    att[(bb * t + i) * c + hd * d + e] = Float(acc)
                }
            } } }
            let out = proj(wo, bo, att)
            let want = (0..<out.count).map { Float((out[$0] + Double(x.data[$0])) / 2) }
            XCTAssertLessThan(maxRelativeError(got.data, want), 5e-6, "\(b) \(h)x\(w) c\(c) heads \(heads)")
        }
    }

    func testLayoutHelpers() {
        var rng = TestRNG(state: 9)
        let nchw = rng.array(2 * 3 * 4 * 5)
        let x = FeatureMap(nchw: nchw, batch: 2, channels: 3, height: 4, width: 5)
        XCTAssertEqual(x.toNCHW(), nchw)
        let nhwcIndex: Int = ((1 * 4 + 2) * 5 + 3) * 3 + 1, nchwIndex: Int = ((1 * 3 + 1) * 4 + 2) * 5 + 3
        XCTAssertEqual(x.data[nhwcIndex], nchw[nchwIndex])
        let up = x.upsampledNearest2x()
        XCTAssertEqual(up.height, 8); XCTAssertEqual(up.width, 10)
        let upIndex: Int = ((1 * 8 + 5) * 10 + 7) * 3 + 2, srcIndex: Int = ((1 * 4 + 2) * 5 + 3) * 3 + 2
        XCTAssertEqual(up.data[upIndex], x.data[srcIndex])
        let y = FeatureMap(batch: 2, height: 4, width: 5, channels: 2, data: rng.array(80))
        let cat = x.concatChannels(y)
        XCTAssertEqual(cat.channels, 5)
        XCTAssertEqual(cat.data[7 * 5 + 4], y.data[7 * 2 + 1])
        XCTAssertEqual(cat.data[7 * 5 + 2], x.data[7 * 3 + 2])
    }
}

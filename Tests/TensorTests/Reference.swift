import Tensor

/// Naive Double-precision references the fast kernels are checked against.
enum Reference {
    static func conv(_ x: FeatureMap, weight: [Float], bias: [Float], cout: Int, k: Int, stride: Int,
                     pad: (Int, Int, Int, Int)) -> FeatureMap {
        let ho = (x.height + pad.0 + pad.2 - k) / stride + 1, wo = (x.width + pad.1 + pad.3 - k) / stride + 1
        var out = FeatureMap(zeros: x.batch, ho, wo, cout)
        for b in 0..<x.batch { for oy in 0..<ho { for ox in 0..<wo { for o in 0..<cout {
            var s = Double(bias[o])
            for i in 0..<x.channels { for ky in 0..<k { for kx in 0..<k {
                let iy = oy * stride - pad.0 + ky, ix = ox * stride - pad.1 + kx
                guard iy >= 0, iy < x.height, ix >= 0, ix < x.width else { continue }
                s += Double(weight[((o * x.channels + i) * k + ky) * k + kx])
                    * Double(x.data[((b * x.height + iy) * x.width + ix) * x.channels + i])
            } } }
            out.data[((b * ho + oy) * wo + ox) * cout + o] = Float(s)
        } } } }
        return out
    }

    static func groupNorm(_ x: FeatureMap, groups: Int, eps: Double, gamma: [Float], beta: [Float]) -> FeatureMap {
        var out = x
        let cpg = x.channels / groups, hw = x.height * x.width
        for b in 0..<x.batch { for g in 0..<groups {
            var vals: [Double] = []
            for p in 0..<hw { for j in 0..<cpg { vals.append(Double(x.data[(b * hw + p) * x.channels + g * cpg + j])) } }
            let mean = vals.reduce(0, +) / Double(vals.count)
            let v = vals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(vals.count)
            for p in 0..<hw { for j in 0..<cpg {
                let c = g * cpg + j, i = (b * hw + p) * x.channels + c
                out.data[i] = Float((Double(x.data[i]) - mean) / (v + eps).squareRoot() * Double(gamma[c]) + Double(beta[c]))
            } }
        } }
        return out
    }

    static func matmulABt(_ a: [Float], m: Int, _ b: [Float], n: Int, k: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for l in 0..<k { s += Double(a[i * k + l]) * Double(b[j * k + l]) }
            out[i * n + j] = s
        } }
        return out
    }
}

/// A small deterministic generator for test data.
struct TestRNG {
    var state: UInt64
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
    }
    mutating func array(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in next() * scale } }
}

func maxRelativeError(_ got: [Float], _ want: [Float]) -> Double {
    precondition(got.count == want.count)
    let scale = want.map { abs(Double($0)) }.max() ?? 1
    var worst = 0.0
    for i in 0..<got.count { worst = max(worst, abs(Double(got[i]) - Double(want[i])) / max(scale, 1e-30)) }
    return worst
}

import Numerics

/// GroupNorm (torch.nn.GroupNorm, affine) on NHWC maps, optionally fused with SiLU.
///
/// Statistics are accumulated in Double in a fixed order (pixels outer, channels inner) so
/// the result is the same on every machine; each (image, group) pair is independent, which
/// is what the parallel split runs over.
public struct GroupNorm: Sendable {
    public let groups: Int
    public let channels: Int
    public let eps: Double
    public let gamma: [Float]
    public let beta: [Float]

    public init(groups: Int, channels: Int, eps: Double, gamma: [Float], beta: [Float]) {
        precondition(channels % groups == 0, "GroupNorm: \(channels) channels not divisible by \(groups) groups")
        precondition(gamma.count == channels && beta.count == channels)
        self.groups = groups; self.channels = channels; self.eps = eps; self.gamma = gamma; self.beta = beta
    }

    public func callAsFunction(_ x: FeatureMap, silu: Bool = false) -> FeatureMap {
        precondition(x.channels == channels, "GroupNorm: expected \(channels) channels, got \(x.channels)")
        var out = [Float](repeating: 0, count: x.data.count)
        let hw = x.height * x.width, c = channels, cpg = channels / groups
        let n = Double(hw * cpg)
        x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                gamma.withUnsafeBufferPointer { gp in
                    beta.withUnsafeBufferPointer { bp in
                        let src = xp.baseAddress!, dst = op.baseAddress!
                        parallelRanges(x.batch * groups) { range in
                            for job in range {
                                let b = job / groups, g = job % groups
                                let base = b * hw * c + g * cpg
                                var sum = 0.0
                                for p in 0..<hw {
                                    let row = src + base + p * c
                                    for j in 0..<cpg { sum += Double(row[j]) }
                                }
                                let mean = sum / n
                                var sq = 0.0
                                for p in 0..<hw {
                                    let row = src + base + p * c
                                    for j in 0..<cpg { let d = Double(row[j]) - mean; sq += d * d }
                                }
                                let invStd = 1.0 / (sq / n + eps).squareRoot()
                                for j in 0..<cpg {
                                    let ch = g * cpg + j
                                    let scale = invStd * Double(gp[ch])
                                    let shift = Double(bp[ch]) - mean * scale
                                    for p in 0..<hw {
                                        let i = base + p * c + j
                                        let v = Float(Double(src[i]) * scale + shift)
                                        dst[i] = silu ? DetMath.silu(v) : v
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return FeatureMap(batch: x.batch, height: x.height, width: x.width, channels: c, data: out)
    }
}

/// Element-wise helpers whose results are identical everywhere (own SiLU, plain IEEE adds).
public enum Elementwise {
    public static func silu(_ x: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                let s = xp.baseAddress!, d = op.baseAddress!
                parallelRanges(x.count, minimumPerWorker: 4096) { r in
                    for i in r { d[i] = DetMath.silu(s[i]) }
                }
            }
        }
        return out
    }

    /// (a + b) · scale, element-wise; `scale` 1 skips the multiply exactly as PyTorch's
    /// division by 1.0 would leave the value unchanged.
    public static func addScaled(_ a: [Float], _ b: [Float], divideBy factor: Float = 1) -> [Float] {
        precondition(a.count == b.count)
        var out = [Float](repeating: 0, count: a.count)
        for i in 0..<a.count { out[i] = factor == 1 ? a[i] + b[i] : (a[i] + b[i]) / factor }
        return out
    }
}

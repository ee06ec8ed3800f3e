import Numerics

/// GroupNorm (torch.nn.GroupNorm, affine) on NHWC maps, optionally fused with SiLU.
///
/// Statistics are accumulated in Double in a fixed order: per channel over the pixels in
/// order, then over the channels of a group in order. The order is part of the code, not of
/// the machine, so every machine gets the same bits; images are independent, which is what
/// the parallel split runs over.
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
                        parallelRanges(x.batch) { range in
                            let acc = UnsafeMutablePointer<Double>.allocate(capacity: c)
                            let scale = UnsafeMutablePointer<Float>.allocate(capacity: c)
                            let shift = UnsafeMutablePointer<Float>.allocate(capacity: c)
                            let mean = UnsafeMutablePointer<Double>.allocate(capacity: groups)
                            let channelMean = UnsafeMutablePointer<Double>.allocate(capacity: c)
                            defer {
                                acc.deallocate(); scale.deallocate(); shift.deallocate(); mean.deallocate()
                                channelMean.deallocate()
                            }
                            for b in range {
                                let image = src + b * hw * c
                                // Means: per-channel sums over pixels, then per group.
                                acc.update(repeating: 0, count: c)
                                for p in 0..<hw {
                                    let row = image + p * c
                                    for j in 0..<c { acc[j] += Double(row[j]) }
                                }
                                for g in 0..<groups {
                                    var s = 0.0
                                    for j in 0..<cpg { s += acc[g * cpg + j] }
                                    mean[g] = s / n
                                }
                                // Variances: two-pass, around the group mean.
                                for g in 0..<groups { for j in 0..<cpg { channelMean[g * cpg + j] = mean[g] } }
                                acc.update(repeating: 0, count: c)
                                for p in 0..<hw {
                                    let row = image + p * c
                                    for j in 0..<c {
                                        let d = Double(row[j]) - channelMean[j]
                                        acc[j] += d * d
                                    }
                                }
                                for g in 0..<groups {
                                    var s = 0.0
                                    for j in 0..<cpg { s += acc[g * cpg + j] }
                                    let invStd = 1.0 / (s / n + eps).squareRoot()
                                    for j in 0..<cpg {
                                        let ch = g * cpg + j
                                        let sc = invStd * Double(gp[ch])
                                        scale[ch] = Float(sc)
                                        shift[ch] = Float(Double(bp[ch]) - mean[g] * sc)
                                    }
                                }
                                let o = dst + b * hw * c
                                for p in 0..<hw {
                                    let row = image + p * c, orow = o + p * c
                                    for j in 0..<c { orow[j] = row[j] * scale[j] + shift[j] }
                                    if silu { for j in 0..<c { orow[j] = DetMath.silu(orow[j]) } }
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

    /// (a + b) / factor, element-wise; factor 1 skips the division (which would not change
    /// the value anyway) as PyTorch's division by 1.0 leaves it unchanged.
    public static func addScaled(_ a: [Float], _ b: [Float], divideBy factor: Float = 1) -> [Float] {
        precondition(a.count == b.count)
        var out = [Float](repeating: 0, count: a.count)
        for i in 0..<a.count { out[i] = factor == 1 ? a[i] + b[i] : (a[i] + b[i]) / factor }
        return out
    }
}

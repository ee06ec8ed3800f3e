import Numerics

/// Multi-head self-attention over the pixels of each image (diffusers' Attention with
/// group_norm, residual connection and output rescale), with exact GEMMs and a deterministic
/// softmax computed in Double with our own exp.
public struct SpatialSelfAttention: Sendable {
    public let norm: GroupNorm?
    public let toQ: Linear
    public let toK: Linear
    public let toV: Linear
    public let toOut: Linear
    public let heads: Int
    public let rescaleOutputFactor: Float

    public init(norm: GroupNorm?, toQ: Linear, toK: Linear, toV: Linear, toOut: Linear, heads: Int,
                rescaleOutputFactor: Float) {
        precondition(toQ.outputs % heads == 0, "Attention: inner dim \(toQ.outputs) not divisible by \(heads) heads")
        self.norm = norm; self.toQ = toQ; self.toK = toK; self.toV = toV; self.toOut = toOut
        self.heads = heads; self.rescaleOutputFactor = rescaleOutputFactor
    }

    public func callAsFunction(_ x: FeatureMap) -> FeatureMap {
        let t = x.height * x.width, c = x.channels
        let h = norm.map { $0(x) } ?? x
        let rows = Matrix(rows: x.pixels, cols: c, data: h.data)
        let q = toQ(rows), k = toK(rows), v = toV(rows)
        let inner = toQ.outputs, d = inner / heads
        let scale = 1.0 / Double(d).squareRoot()
        var attended = [Float](repeating: 0, count: x.pixels * inner)
        var qh = [Float](repeating: 0, count: t * d), kh = qh, vhT = qh
        var scores = [Float](repeating: 0, count: t * t)
        var oh = [Float](repeating: 0, count: t * d)
        for b in 0..<x.batch {
            for head in 0..<heads {
                for i in 0..<t {
                    let src = (b * t + i) * inner + head * d
                    for j in 0..<d {
                        qh[i * d + j] = q.data[src + j]
                        kh[i * d + j] = k.data[src + j]
                        vhT[j * t + i] = v.data[src + j]
                    }
                }
                qh.withUnsafeBufferPointer { qp in kh.withUnsafeBufferPointer { kp in
                    scores.withUnsafeMutableBufferPointer { sp in
                        ExactGEMM.multiplyABt(qp.baseAddress!, m: t, kp.baseAddress!, n: t, k: d,
                                              into: sp.baseAddress!, outStride: t)
                    }
                } }
                scores.withUnsafeMutableBufferPointer { sp in
                    let s = sp.baseAddress!
                    parallelRanges(t, minimumPerWorker: 16) { r in
                        for i in r { Self.softmaxRow(s + i * t, count: t, scale: scale) }
                    }
                }
                scores.withUnsafeBufferPointer { sp in vhT.withUnsafeBufferPointer { vp in
                    oh.withUnsafeMutableBufferPointer { op in
                        ExactGEMM.multiplyABt(sp.baseAddress!, m: t, vp.baseAddress!, n: d, k: t,
                                              into: op.baseAddress!, outStride: d)
                    }
                } }
                for i in 0..<t {
                    let dst = (b * t + i) * inner + head * d
                    for j in 0..<d { attended[dst + j] = oh[i * d + j] }
                }
            }
        }
        let projected = toOut(Matrix(rows: x.pixels, cols: inner, data: attended))
        var out = [Float](repeating: 0, count: x.data.count)
        for i in 0..<out.count {
            let r = projected.data[i] + x.data[i]
            out[i] = rescaleOutputFactor == 1 ? r : r / rescaleOutputFactor
        }
        return FeatureMap(batch: x.batch, height: x.height, width: x.width, channels: c, data: out)
    }

    /// softmax(scale · s) in place, in Double with our own exp.
    @inline(__always)
    static func softmaxRow(_ s: UnsafeMutablePointer<Float>, count: Int, scale: Double) {
        var m = -Double.infinity
        for j in 0..<count { m = max(m, Double(s[j]) * scale) }
        var sum = 0.0
        var e = [Double](repeating: 0, count: count)
        for j in 0..<count { let v = DetMath.exp(Double(s[j]) * scale - m); e[j] = v; sum += v }
        let inv = 1.0 / sum
        for j in 0..<count { s[j] = Float(e[j] * inv) }
    }
}

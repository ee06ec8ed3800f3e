import COpenBLAS

/// Matrix products that give the same bits on every BLAS kernel and thread count.
///
/// Float GEMM is not reproducible across OpenBLAS kernels (the summation order differs), and
/// the codec's decoder must rebuild bit-identical probabilities. So each operand row is scaled
/// to integers (round-half-even) and multiplied with `dgemm`: every product and partial sum is
/// an integer below 2^53 and therefore exact in Double, whatever order the kernel adds them in.
/// The rescale afterwards is one IEEE multiplication per element, identical everywhere.
public enum ExactGEMM {
    /// Bits of precision for weights (per output channel).
    public static let weightBits = 20

    /// ceil(log2(k)) for k ≥ 1.
    @inlinable
    static func ceilLog2(_ k: Int) -> Int {
        var b = 0
        while (1 << b) < k { b += 1 }
        return b
    }

    /// Activation bits that keep |a|·|b|·K below 2^53 given `otherBits` bits on the other side.
    public static func activationBits(k: Int, otherBits: Int) -> Int {
        min(24, 53 - otherBits - ceilLog2(max(1, k)))
    }

    /// Bits for a product of two activations (attention), split evenly.
    public static func symmetricBits(k: Int) -> Int {
        min(24, (53 - ceilLog2(max(1, k))) / 2)
    }

    /// Round half to even for |v| < 2^51: adding and subtracting 1.5·2^52 leaves the integer
    /// part, rounded by the FPU's default round-to-nearest-even mode. Unlike `rint` this is
    /// two vectorizable IEEE additions, identical on every machine.
    @inlinable @inline(__always)
    public static func roundHalfEven(_ v: Double) -> Double {
        let magic = 6_755_399_441_055_744.0
        return (v + magic) - magic
    }

    /// Quantizes `rows` rows of length `k` from `src` (row stride `k`) into integer-valued
    /// Doubles in `dst`, writing each row's scale (value = q · scale) into `scales`.
    @inlinable
    public static func quantizeRows(_ src: UnsafePointer<Float>, rows: Int, k: Int, bits: Int,
                                    into dst: UnsafeMutablePointer<Double>, scales: UnsafeMutablePointer<Double>) {
        let q = Double((1 << bits) - 1)
        for r in 0..<rows {
            let row = src + r * k
            let m = maxMagnitude(row, count: k)
            let out = dst + r * k
            if m == 0 || !m.isFinite {
                // An all-zero row (padding) multiplies to zero; a non-finite one is left to
                // propagate as NaN through its scale so the caller can see it.
                out.update(repeating: 0, count: k)
                scales[r] = m == 0 ? 0 : .nan
                continue
            }
            let inv = q / Double(m)
            scaleAndRound(row, count: k, by: inv, into: out)
            scales[r] = Double(m) / q
        }
    }

    /// max |x| (exact, so the lane order cannot matter).
    @inlinable @inline(__always)
    static func maxMagnitude(_ x: UnsafePointer<Float>, count k: Int) -> Float {
        var m8 = SIMD8<Float>(repeating: 0)
        // Comparisons skip NaNs; a lane-wise sum keeps them (and infinities) visible.
        var s8 = SIMD8<Float>(repeating: 0)
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 8 <= k {
            let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let a = v.replacing(with: -v, where: v .< 0)
            m8 = m8.replacing(with: a, where: a .> m8)
            s8 = s8 + v * 0x1p-64
            i += 8
        }
        var m = m8.max()
        var finite = s8.sum().isFinite
        while i < k { m = Swift.max(m, Swift.abs(x[i])); finite = finite && x[i].isFinite; i += 1 }
        if !finite {
            for j in 0..<k where !x[j].isFinite { return x[j].isNaN ? .nan : .infinity }
        }
        return m
    }

    /// out[i] = roundHalfEven(Double(x[i]) · inv): the same IEEE operations per element as the
    /// scalar form, four lanes at a time.
    @inlinable @inline(__always)
    static func scaleAndRound(_ x: UnsafePointer<Float>, count k: Int, by inv: Double, into out: UnsafeMutablePointer<Double>) {
        let magic = SIMD4<Double>(repeating: 6_755_399_441_055_744.0)
        let s = SIMD4<Double>(repeating: inv)
        let raw = UnsafeRawPointer(x), dst = UnsafeMutableRawPointer(out)
        var i = 0
        while i + 4 <= k {
            let f = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD4<Float>.self)
            let d = SIMD4<Double>(f) * s
            dst.storeBytes(of: (d + magic) - magic, toByteOffset: 8 * i, as: SIMD4<Double>.self)
            i += 4
        }
        while i < k { out[i] = roundHalfEven(Double(x[i]) * inv); i += 1 }
    }

    /// out[M×N] = A[M×K] · B[N×K]ᵀ on integer-valued Doubles (exact), then
    /// out[i][j] = Float(acc · (sa[i] · sb[j])) (+ bias[j]).
    @inlinable
    public static func multiplyQuantized(
        a: UnsafePointer<Double>, scalesA: UnsafePointer<Double>, m: Int,
        b: UnsafePointer<Double>, scalesB: UnsafePointer<Double>, n: Int, k: Int,
        bias: UnsafePointer<Float>?, accumulator: UnsafeMutablePointer<Double>,
        out: UnsafeMutablePointer<Float>, outStride: Int, parallel: Bool = true
    ) {
        guard m > 0, n > 0 else { return }
        if k > 0 {
            // beta = 0: OpenBLAS overwrites the accumulator without reading it.
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                        1.0, a, Int32(k), b, Int32(k), 0.0, accumulator, Int32(n))
        } else {
            accumulator.update(repeating: 0, count: m * n)
        }
        let rescale = { (range: Range<Int>) in
            for i in range {
                let sa = scalesA[i]
                let accRow = accumulator + i * n
                let o = out + i * outStride
                if let bias {
                    for j in 0..<n { o[j] = Float(accRow[j] * (sa * scalesB[j])) + bias[j] }
                } else {
                    for j in 0..<n { o[j] = Float(accRow[j] * (sa * scalesB[j])) }
                }
            }
        }
        if parallel { parallelRanges(m, minimumPerWorker: 64, rescale) } else { rescale(0..<m) }
    }

    /// C[M×N] = A[M×K] · B[N×K]ᵀ for two Float matrices quantized row by row (used where both
    /// operands are activations, as in attention).
    public static func multiplyABt(_ a: UnsafePointer<Float>, m: Int, _ b: UnsafePointer<Float>, n: Int, k: Int,
                                   into out: UnsafeMutablePointer<Float>, outStride: Int) {
        let bits = symmetricBits(k: k)
        var qa = [Double](repeating: 0, count: m * k), sa = [Double](repeating: 0, count: m)
        var qb = [Double](repeating: 0, count: n * k), sb = [Double](repeating: 0, count: n)
        var acc = [Double](repeating: 0, count: m * n)
        qa.withUnsafeMutableBufferPointer { qa in
            sa.withUnsafeMutableBufferPointer { sa in
                quantizeRows(a, rows: m, k: k, bits: bits, into: qa.baseAddress!, scales: sa.baseAddress!)
                qb.withUnsafeMutableBufferPointer { qb in
                    sb.withUnsafeMutableBufferPointer { sb in
                        quantizeRows(b, rows: n, k: k, bits: bits, into: qb.baseAddress!, scales: sb.baseAddress!)
                        acc.withUnsafeMutableBufferPointer { acc in
                            multiplyQuantized(a: qa.baseAddress!, scalesA: sa.baseAddress!, m: m,
                                              b: qb.baseAddress!, scalesB: sb.baseAddress!, n: n, k: k,
                                              bias: nil, accumulator: acc.baseAddress!, out: out, outStride: outStride)
                        }
                    }
                }
            }
        }
    }
}

/// A weight matrix [N outputs × K inputs] quantized once at load time, per output row.
public struct QuantizedWeights: Sendable {
    public let outputs: Int
    public let inputs: Int
    public let values: [Double]
    public let scales: [Double]

    public init(rowMajor w: [Float], outputs: Int, inputs: Int) {
        precondition(w.count == outputs * inputs)
        var v = [Double](repeating: 0, count: w.count)
        var s = [Double](repeating: 0, count: outputs)
        w.withUnsafeBufferPointer { wp in
            v.withUnsafeMutableBufferPointer { vp in
                s.withUnsafeMutableBufferPointer { sp in
                    ExactGEMM.quantizeRows(wp.baseAddress!, rows: outputs, k: inputs, bits: ExactGEMM.weightBits,
                                           into: vp.baseAddress!, scales: sp.baseAddress!)
                }
            }
        }
        self.outputs = outputs; self.inputs = inputs; self.values = v; self.scales = s
    }

    /// The weights as the exact GEMM sees them (for tests and error analysis).
    public func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        for r in 0..<outputs { for i in 0..<inputs { out[r * inputs + i] = Float(values[r * inputs + i] * scales[r]) } }
        return out
    }
}

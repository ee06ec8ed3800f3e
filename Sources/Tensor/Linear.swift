import COpenBLAS

/// y = x Wᵀ + b over rows (nn.Linear), with the exact integer-operand GEMM.
public struct Linear: Sendable {
    public let weights: QuantizedWeights
    public let bias: [Float]?

    /// `weight` is PyTorch's [out, in] row-major.
    public init(weight: [Float], bias: [Float]?, outputs: Int, inputs: Int) {
        precondition(bias == nil || bias!.count == outputs)
        self.weights = QuantizedWeights(rowMajor: weight, outputs: outputs, inputs: inputs)
        self.bias = bias
    }

    public var inputs: Int { weights.inputs }
    public var outputs: Int { weights.outputs }

    public func callAsFunction(_ x: Matrix) -> Matrix {
        precondition(x.cols == inputs, "Linear: expected \(inputs) input features, got \(x.cols)")
        var out = [Float](repeating: 0, count: x.rows * outputs)
        x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                apply(rows: xp.baseAddress!, count: x.rows, into: op.baseAddress!)
            }
        }
        return Matrix(rows: x.rows, cols: outputs, data: out)
    }

    /// Applies to `count` contiguous rows of `inputs` floats, writing `outputs` floats per row.
    public func apply(rows x: UnsafePointer<Float>, count m: Int, into out: UnsafeMutablePointer<Float>) {
        let k = inputs
        apply(count: m, into: out) { row, dst in dst.update(from: x + row * k, count: k) }
    }

    /// Applies to `count` rows produced on demand by `fill(row, destination)` (im2col uses this
    /// to build each row in a small cache-resident buffer instead of a whole column matrix).
    ///
    /// Rows are split between workers, each running its own single-threaded dgemm on its own
    /// rows: one parallel region per layer instead of one per kernel, and no BLAS threads
    /// spinning while our code runs. The split cannot change the result, since every output
    /// row is computed by exactly one exact GEMM.
    public func apply(count m: Int, into out: UnsafeMutablePointer<Float>,
                      fill: (Int, UnsafeMutablePointer<Float>) -> Void) {
        BLASThreads.useCallerThreadOnly()
        let k = inputs, n = outputs
        let bits = ExactGEMM.activationBits(k: k, otherBits: ExactGEMM.weightBits)
        // Enough rows per dgemm call that packing the weights is amortized, few enough that
        // the quantized rows stay in cache.
        let chunk = max(16, min(512, (1 << 19) / max(k, 1)))
        weights.values.withUnsafeBufferPointer { wv in
            weights.scales.withUnsafeBufferPointer { ws in
                parallelRanges(m, minimumPerWorker: 32) { range in
                    let rowBuffer = UnsafeMutablePointer<Float>.allocate(capacity: max(k, 1))
                    let qa = UnsafeMutablePointer<Double>.allocate(capacity: chunk * max(k, 1))
                    let sa = UnsafeMutablePointer<Double>.allocate(capacity: chunk)
                    let acc = UnsafeMutablePointer<Double>.allocate(capacity: chunk * n)
                    defer { rowBuffer.deallocate(); qa.deallocate(); sa.deallocate(); acc.deallocate() }
                    var start = range.lowerBound
                    while start < range.upperBound {
                        let rows = min(chunk, range.upperBound - start)
                        for r in 0..<rows {
                            fill(start + r, rowBuffer)
                            ExactGEMM.quantizeRows(rowBuffer, rows: 1, k: k, bits: bits, into: qa + r * k, scales: sa + r)
                        }
                        if let bias {
                            bias.withUnsafeBufferPointer { bp in
                                ExactGEMM.multiplyQuantized(a: qa, scalesA: sa, m: rows, b: wv.baseAddress!, scalesB: ws.baseAddress!,
                                                            n: n, k: k, bias: bp.baseAddress!, accumulator: acc,
                                                            out: out + start * n, outStride: n, parallel: false)
                            }
                        } else {
                            ExactGEMM.multiplyQuantized(a: qa, scalesA: sa, m: rows, b: wv.baseAddress!, scalesB: ws.baseAddress!,
                                                        n: n, k: k, bias: nil, accumulator: acc,
                                                        out: out + start * n, outStride: n, parallel: false)
                        }
                        start += rows
                    }
                }
            }
        }
    }
}

/// OpenBLAS runs every dgemm on the calling thread: the forward pass brings its own workers.
enum BLASThreads {
    private static let once: Void = { openblas_set_num_threads(1) }()
    static func useCallerThreadOnly() { _ = once }
}

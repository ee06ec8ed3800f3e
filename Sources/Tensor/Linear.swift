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
        let k = inputs, n = outputs
        let bits = ExactGEMM.activationBits(k: k, otherBits: ExactGEMM.weightBits)
        let chunk = max(1, min(m, (1 << 23) / max(k, n)))
        var qa = [Double](repeating: 0, count: chunk * k)
        var sa = [Double](repeating: 0, count: chunk)
        var acc = [Double](repeating: 0, count: chunk * n)
        weights.values.withUnsafeBufferPointer { wv in
            weights.scales.withUnsafeBufferPointer { ws in
                qa.withUnsafeMutableBufferPointer { qa in
                    sa.withUnsafeMutableBufferPointer { sa in
                        acc.withUnsafeMutableBufferPointer { acc in
                            var start = 0
                            while start < m {
                                let rows = min(chunk, m - start)
                                let qaBase = qa.baseAddress!, saBase = sa.baseAddress!
                                parallelRanges(rows, minimumPerWorker: 16) { r in
                                    ExactGEMM.quantizeRows(x + (start + r.lowerBound) * k, rows: r.count, k: k, bits: bits,
                                                           into: qaBase + r.lowerBound * k, scales: saBase + r.lowerBound)
                                }
                                let accBase = acc.baseAddress!
                                let run = { (b: UnsafePointer<Float>?) in
                                    ExactGEMM.multiplyQuantized(
                                        a: qaBase, scalesA: saBase, m: rows, b: wv.baseAddress!, scalesB: ws.baseAddress!,
                                        n: n, k: k, bias: b, accumulator: accBase, out: out + start * n, outStride: n)
                                }
                                if let bias { bias.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                                start += rows
                            }
                        }
                    }
                }
            }
        }
    }
}

/// 2-D convolution on NHWC feature maps via im2col and the exact integer-operand GEMM.
public struct Conv2D: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    /// Zero padding (top, left, bottom, right). Asymmetric padding reproduces diffusers'
    /// Downsample2D with padding 0, which pads only right and bottom.
    public let padding: (top: Int, left: Int, bottom: Int, right: Int)
    let linear: Linear

    /// `weight` is PyTorch's [out, in, k, k]; it is reordered to [out][ky][kx][in] so one
    /// im2col row (taps outer, channels inner) lines up with one weight row.
    public init(weight: [Float], bias: [Float]?, inChannels: Int, outChannels: Int, kernel: Int,
                stride: Int = 1, padding: (top: Int, left: Int, bottom: Int, right: Int)) {
        precondition(weight.count == outChannels * inChannels * kernel * kernel, "Conv2D: weight size mismatch")
        let kk = kernel * kernel
        var w = [Float](repeating: 0, count: weight.count)
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                for t in 0..<kk {
                    w[(o * kk + t) * inChannels + i] = weight[(o * inChannels + i) * kk + t]
                }
            }
        }
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel
        self.stride = stride; self.padding = padding
        self.linear = Linear(weight: w, bias: bias, outputs: outChannels, inputs: kk * inChannels)
    }

    public init(weight: [Float], bias: [Float]?, inChannels: Int, outChannels: Int, kernel: Int,
                stride: Int = 1, padding: Int) {
        self.init(weight: weight, bias: bias, inChannels: inChannels, outChannels: outChannels, kernel: kernel,
                  stride: stride, padding: (padding, padding, padding, padding))
    }

    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + padding.top + padding.bottom - kernel) / stride + 1,
         (width + padding.left + padding.right - kernel) / stride + 1)
    }

    public func callAsFunction(_ x: FeatureMap) -> FeatureMap {
        precondition(x.channels == inChannels, "Conv2D: expected \(inChannels) channels, got \(x.channels)")
        let (ho, wo) = outputSize(height: x.height, width: x.width)
        let m = x.batch * ho * wo
        var out = [Float](repeating: 0, count: m * outChannels)
        if kernel == 1 && stride == 1 && padding == (0, 0, 0, 0) {
            x.data.withUnsafeBufferPointer { xp in
                out.withUnsafeMutableBufferPointer { op in linear.apply(rows: xp.baseAddress!, count: m, into: op.baseAddress!) }
            }
            return FeatureMap(batch: x.batch, height: ho, width: wo, channels: outChannels, data: out)
        }
        x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                let src = xp.baseAddress!
                linear.apply(count: m, into: op.baseAddress!) { pixel, row in
                    im2colRow(src, x, pixel: pixel, ho: ho, wo: wo, into: row)
                }
            }
        }
        return FeatureMap(batch: x.batch, height: ho, width: wo, channels: outChannels, data: out)
    }

    @inline(__always)
    func im2colRow(_ src: UnsafePointer<Float>, _ x: FeatureMap, pixel: Int, ho: Int, wo: Int,
                   into dst: UnsafeMutablePointer<Float>) {
        let c = inChannels
        let b = pixel / (ho * wo), rem = pixel % (ho * wo)
        let oy = rem / wo, ox = rem % wo
        var d = dst
        for ky in 0..<kernel {
            let iy = oy * stride - padding.top + ky
            for kx in 0..<kernel {
                let ix = ox * stride - padding.left + kx
                if iy >= 0 && iy < x.height && ix >= 0 && ix < x.width {
                    d.update(from: src + ((b * x.height + iy) * x.width + ix) * c, count: c)
                } else {
                    d.update(repeating: 0, count: c)
                }
                d += c
            }
        }
    }
}

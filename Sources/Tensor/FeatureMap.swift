/// A batch of feature maps in NHWC layout (channels innermost).
///
/// Channels-last makes every pixel a contiguous row, so 1×1 convolutions, linear layers and
/// attention projections are plain GEMMs over rows, and im2col copies contiguous channel runs.
public struct FeatureMap: Equatable, Sendable {
    public var batch: Int
    public var height: Int
    public var width: Int
    public var channels: Int
    public var data: [Float]

    public init(batch: Int, height: Int, width: Int, channels: Int, data: [Float]) {
        precondition(data.count == batch * height * width * channels, "FeatureMap: data size does not match shape")
        self.batch = batch; self.height = height; self.width = width; self.channels = channels; self.data = data
    }

    public init(zeros batch: Int, _ height: Int, _ width: Int, _ channels: Int) {
        self.init(batch: batch, height: height, width: width, channels: channels,
                  data: [Float](repeating: 0, count: batch * height * width * channels))
    }

    /// Pixels over the whole batch: the row count of this map seen as a matrix.
    public var pixels: Int { batch * height * width }

    /// Converts from PyTorch's NCHW layout.
    public init(nchw: [Float], batch: Int, channels: Int, height: Int, width: Int) {
        precondition(nchw.count == batch * channels * height * width)
        var out = [Float](repeating: 0, count: nchw.count)
        let hw = height * width
        for b in 0..<batch {
            for c in 0..<channels {
                let src = (b * channels + c) * hw
                for p in 0..<hw { out[(b * hw + p) * channels + c] = nchw[src + p] }
            }
        }
        self.init(batch: batch, height: height, width: width, channels: channels, data: out)
    }

    /// Converts to PyTorch's NCHW layout.
    public func toNCHW() -> [Float] {
        var out = [Float](repeating: 0, count: data.count)
        let hw = height * width
        for b in 0..<batch {
            for p in 0..<hw {
                let src = (b * hw + p) * channels
                for c in 0..<channels { out[(b * channels + c) * hw + p] = data[src + c] }
            }
        }
        return out
    }

    /// Concatenates along channels (torch.cat(dim=1)): `self` first, then `other`.
    public func concatChannels(_ other: FeatureMap) -> FeatureMap {
        precondition(batch == other.batch && height == other.height && width == other.width,
                     "concatChannels: spatial shapes differ")
        let c1 = channels, c2 = other.channels, c = c1 + c2
        var out = [Float](repeating: 0, count: pixels * c)
        data.withUnsafeBufferPointer { a in
            other.data.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    for p in 0..<pixels {
                        for k in 0..<c1 { o[p * c + k] = a[p * c1 + k] }
                        for k in 0..<c2 { o[p * c + c1 + k] = b[p * c2 + k] }
                    }
                }
            }
        }
        return FeatureMap(batch: batch, height: height, width: width, channels: c, data: out)
    }

    /// Nearest-neighbour 2× upsampling (F.interpolate(scale_factor=2, mode="nearest")).
    public func upsampledNearest2x() -> FeatureMap {
        let h2 = height * 2, w2 = width * 2, c = channels
        var out = [Float](repeating: 0, count: batch * h2 * w2 * c)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for b in 0..<batch {
                    for y in 0..<h2 {
                        for x in 0..<w2 {
                            let s = ((b * height + y / 2) * width + x / 2) * c
                            let d = ((b * h2 + y) * w2 + x) * c
                            for k in 0..<c { dst[d + k] = src[s + k] }
                        }
                    }
                }
            }
        }
        return FeatureMap(batch: batch, height: h2, width: w2, channels: c, data: out)
    }
}

/// A row-major matrix of Float: rows are tokens / batch items, columns are features.
public struct Matrix: Equatable, Sendable {
    public var rows: Int
    public var cols: Int
    public var data: [Float]

    public init(rows: Int, cols: Int, data: [Float]) {
        precondition(data.count == rows * cols, "Matrix: data size does not match shape")
        self.rows = rows; self.cols = cols; self.data = data
    }
}

import Numerics
import Tensor

/// The network applied to pieces of images (patches, tiles or whole images: ModelTiling): builds
/// each piece's padded input from its x_t on the real positions, runs the pieces in batches, and
/// returns every piece's outputs on its real positions. The one place that batches for the bound
/// and both codecs, so all of them see bit-identical network outputs for the same x_t.
public struct PatchNetwork: Sendable {
    public let model: DiffusionModel
    public let process: ReverseProcess
    /// The most pieces per network call, and the most input positions (memory bound: a call's
    /// activations grow with its positions). Results do not depend on either: the network is
    /// evaluated per sample.
    public var maximumBatch = 64
    public var maximumPositions = 1 << 17

    public init(model: DiffusionModel, process: ReverseProcess) {
        self.model = model
        self.process = process
    }

    /// eps (and the variance channels) at x_t for every piece, at step index i, as
    /// `outChannels` values per real position.
    public func outputs(shapes: [ChainShape], values: [[Double]], step i: Int) -> [[Float]] {
        outputs(shapes: shapes, values: values, steps: [Int](repeating: i, count: shapes.count))
    }

    /// The same with a step index per piece (the bound evaluates several steps in one call).
    /// Consecutive pieces with the same input size share a call. `network` replaces the model's
    /// U-Net (tests replay another implementation's outputs through it).
    public func outputs(shapes: [ChainShape], values: [[Double]], steps: [Int],
                        network: ((FeatureMap, [Double]) -> FeatureMap)? = nil) -> [[Float]] {
        precondition(shapes.count == values.count && shapes.count == steps.count, "PatchNetwork: one x_t and step per piece")
        var result: [[Float]] = []
        result.reserveCapacity(shapes.count)
        var start = 0
        while start < shapes.count {
            let size = inputSize(shapes[start])
            var end = start + 1
            while end < shapes.count, end - start < maximumBatch, inputSize(shapes[end]) == size,
                  (end - start + 1) * size.height * size.width <= maximumPositions {
                end += 1
            }
            result += batch(shapes: Array(shapes[start..<end]), values: Array(values[start..<end]),
                            steps: Array(steps[start..<end]), height: size.height, width: size.width, network: network)
            start = end
        }
        return result
    }

    /// The network input size of a piece.
    public func inputSize(_ shape: ChainShape) -> Size {
        let s = model.tiling.inputSize(height: shape.height, width: shape.width)
        return Size(height: s.height, width: s.width)
    }

    public struct Size: Equatable, Sendable {
        public let height: Int
        public let width: Int
    }

    func batch(shapes: [ChainShape], values: [[Double]], steps: [Int], height ph: Int, width pw: Int,
               network: ((FeatureMap, [Double]) -> FeatureMap)?) -> [[Float]] {
        let c = model.channels
        let patchSize = ph * pw * c
        var input = [Float](repeating: 0, count: shapes.count * patchSize)
        for (j, shape) in shapes.enumerated() {
            // Edge replication of the piece's own x_t fills the padding (docs/TILING.md).
            var o = j * patchSize
            for py in 0..<ph {
                let sy = min(py, shape.height - 1)
                for px in 0..<pw {
                    let s = (sy * shape.width + min(px, shape.width - 1)) * c
                    for ch in 0..<c { input[o] = Float(values[j][s + ch]); o += 1 }
                }
            }
        }
        let timesteps = steps.map { Double(process.schedule.modelTimesteps[$0]) }
        let sample = FeatureMap(batch: shapes.count, height: ph, width: pw, channels: c, data: input)
        let out = network?(sample, timesteps) ?? model.network(sample, timesteps: timesteps)
        precondition(out.batch == shapes.count && out.height == ph && out.width == pw
                     && out.channels == model.network.config.outChannels, "PatchNetwork: the network output has the wrong shape")
        let oc = out.channels
        return shapes.enumerated().map { j, shape in
            var r = [Float](repeating: 0, count: shape.height * shape.width * oc)
            var o = 0
            for py in 0..<shape.height {
                for px in 0..<shape.width {
                    let s = ((j * ph + py) * pw + px) * oc
                    for ch in 0..<oc { r[o] = out.data[s + ch]; o += 1 }
                }
            }
            return r
        }
    }

    /// Mean and standard deviation of p(x_{t-1} | x_t) per sub-pixel, at step index i.
    public func reverseStep(_ output: [Float], values xt: [Double], step i: Int) -> (means: [Double], stds: [Double]) {
        let c = model.channels
        let oc = output.count / (xt.count / c)
        let learned = process.varianceType.isLearned
        var means = [Double](repeating: 0, count: xt.count), stds = means
        for d in 0..<xt.count {
            let p = d / c, ch = d % c
            let eps = Double(output[p * oc + ch])
            let v = learned ? Double(output[p * oc + c + ch]) : 0
            let (mean, logVariance) = process.model(xt: xt[d], eps: eps, v: v, at: i)
            means[d] = mean
            stds[d] = DetMath.exp(0.5 * logVariance)
        }
        return (means, stds)
    }

    /// x̂0(x_t) per sub-pixel at step index i, clipped as the model's scheduler says.
    public func predictedX0(_ output: [Float], values xt: [Double], step i: Int) -> [Double] {
        let c = model.channels
        let oc = output.count / (xt.count / c)
        var x0 = [Double](repeating: 0, count: xt.count)
        for d in 0..<xt.count {
            let eps = Double(output[(d / c) * oc + d % c])
            x0[d] = process.predictedX0(xt: xt[d], eps: eps, at: i)
        }
        return x0
    }
}

/// The real extent of one piece of an image (a patch, a tile or the whole image).
public struct ChainShape: Equatable, Sendable {
    public let height: Int
    public let width: Int
    public let channels: Int
    public var dimensions: Int { height * width * channels }
    public init(height: Int, width: Int, channels: Int) {
        self.height = height; self.width = width; self.channels = channels
    }
}

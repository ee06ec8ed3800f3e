import Diffusion
import Numerics
import Tensor

/// The network applied to the patches of a step: builds the padded batch from each item's x_t
/// (HWC values on its real positions), runs it in batches, and returns every item's outputs
/// on its real positions. Shared by the bits-back chain and the progressive coder so both see
/// bit-identical network outputs for the same x_t.
public struct PatchNetwork: Sendable {
    public let model: DiffusionModel
    public let process: ReverseProcess
    /// The most patches per network call (memory bound; results do not depend on it).
    public var maximumBatch = 64

    public init(model: DiffusionModel, process: ReverseProcess) {
        self.model = model
        self.process = process
    }

    /// eps (and the variance channels) at x_t for every item, at step index i, as
    /// `outChannels` values per real position.
    public func outputs(shapes: [ChainShape], values: [[Double]], step i: Int) -> [[Float]] {
        var result: [[Float]] = []
        result.reserveCapacity(shapes.count)
        var start = 0
        while start < shapes.count {
            let end = min(shapes.count, start + maximumBatch)
            result += batch(shapes: Array(shapes[start..<end]), values: Array(values[start..<end]), step: i)
            start = end
        }
        return result
    }

    func batch(shapes: [ChainShape], values: [[Double]], step i: Int) -> [[Float]] {
        let ph = model.patchHeight, pw = model.patchWidth, c = model.channels
        let patchSize = ph * pw * c
        var input = [Float](repeating: 0, count: shapes.count * patchSize)
        for (j, shape) in shapes.enumerated() {
            // Edge replication of the item's own x_t fills the padding (docs/TILING.md).
            var o = j * patchSize
            for py in 0..<ph {
                let sy = min(py, shape.height - 1)
                for px in 0..<pw {
                    let s = (sy * shape.width + min(px, shape.width - 1)) * c
                    for ch in 0..<c { input[o] = Float(values[j][s + ch]); o += 1 }
                }
            }
        }
        let t = Double(process.schedule.modelTimesteps[i])
        let out = model.network(FeatureMap(batch: shapes.count, height: ph, width: pw, channels: c, data: input),
                                timesteps: [Double](repeating: t, count: shapes.count))
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

/// The real extent of one item (patch).
public struct ChainShape: Equatable, Sendable {
    public let height: Int
    public let width: Int
    public let channels: Int
    public var dimensions: Int { height * width * channels }
    public init(height: Int, width: Int, channels: Int) {
        self.height = height; self.width = width; self.channels = channels
    }
}

import Foundation
import Numerics
import Tensor

/// diffusers' UNet2DModel (the DDPM family), evaluated with deterministic numerics:
/// the same input gives the same output bits on every machine, BLAS kernel and thread count.
public struct UNetModel: Sendable {
    public let config: UNetConfig
    let timeLinear1: Linear
    let timeLinear2: Linear
    let convIn: Conv2D
    let down: [DownBlock]
    let mid: MidBlock?
    let up: [UpBlock]
    let normOut: GroupNorm
    let convOut: Conv2D
    /// Parameters in the checkpoint.
    public let parameterCount: Int

    /// Loads `config.json` and `diffusion_pytorch_model.safetensors` from a diffusers directory.
    public init(directory: String) throws {
        let config = try UNetConfig(path: (directory as NSString).appendingPathComponent("config.json"))
        let weights = try SafeTensors(path: (directory as NSString).appendingPathComponent("diffusion_pytorch_model.safetensors"))
        try self.init(config: config, tensors: weights.tensors)
    }

    public init(config c: UNetConfig, tensors: [String: NamedTensor]) throws {
        let available = tensors.values.reduce(0) { $0 + $1.values.count }
        guard c.minimumParameters <= available else {
            throw ModelError.unsupportedConfig(field: "block_out_channels", value: "\(c.blockOutChannels)",
                                               supported: "a network the weights file holds: this config needs at least "
                                                   + "\(c.minimumParameters) parameters, the file has \(available)")
        }
        var w = WeightStore(tensors)
        try self.init(config: c, store: &w)
    }

    /// A model with invented weights (seeded), for benchmarks of architectures we do not ship.
    public init(config c: UNetConfig, randomSeed: UInt64) throws {
        var w = WeightStore(synthesizingWithSeed: randomSeed)
        try self.init(config: c, store: &w)
    }

    /// The tensor names and shapes this configuration needs (diffusers' modern names).
    public static func expectedTensors(config: UNetConfig) throws -> [(name: String, shape: [Int])] {
        var w = WeightStore(listing: ())
        _ = try UNetModel(config: config, store: &w)
        return w.requested
    }

    init(config c: UNetConfig, store w: inout WeightStore) throws {
        config = c
        let ch = c.blockOutChannels, temb = c.timeEmbedDim
        timeLinear1 = w.linear("time_embedding.linear_1", in: ch[0], out: temb)
        timeLinear2 = w.linear("time_embedding.linear_2", in: temb, out: temb)
        convIn = w.conv3("conv_in", in: c.inChannels, out: ch[0])

        var down: [DownBlock] = []
        var output = ch[0]
        for (i, type) in c.downBlockTypes.enumerated() {
            let input = output
            output = ch[i]
            let p = "down_blocks.\(i)"
            var resnets: [ResnetBlock] = [], attentions: [SpatialSelfAttention] = []
            for j in 0..<c.layersPerBlock {
                resnets.append(ResnetBlock(&w, "\(p).resnets.\(j)", in: j == 0 ? input : output, out: output,
                                           config: c, outputScaleFactor: 1))
                if type == .attnDown {
                    attentions.append(try Self.attention(&w, "\(p).attentions.\(j)", channels: output,
                                                         headDim: c.attentionHeadDim ?? output, groups: c.normNumGroups,
                                                         config: c, rescale: 1))
                }
            }
            let last = i == ch.count - 1
            let pad = c.downsamplePadding
            let downsampler = last ? nil : w.conv("\(p).downsamplers.0.conv", in: output, out: output, kernel: 3, stride: 2,
                                                  padding: pad == 0 ? (0, 0, 1, 1) : (pad, pad, pad, pad))
            down.append(DownBlock(resnets: resnets, attentions: attentions, downsampler: downsampler))
        }
        self.down = down

        if c.hasMidBlock {
            let m = ch[ch.count - 1]
            let groups = c.attnNormNumGroups ?? (c.scaleShiftTimeEmbedding ? nil : c.normNumGroups)
            mid = MidBlock(
                first: ResnetBlock(&w, "mid_block.resnets.0", in: m, out: m, config: c, outputScaleFactor: c.midBlockScaleFactor),
                attention: c.addAttention
                    ? try Self.attention(&w, "mid_block.attentions.0", channels: m, headDim: c.attentionHeadDim ?? m,
                                         groups: groups, config: c, rescale: c.midBlockScaleFactor)
                    : nil,
                second: ResnetBlock(&w, "mid_block.resnets.1", in: m, out: m, config: c, outputScaleFactor: c.midBlockScaleFactor))
        } else {
            mid = nil
        }

        var up: [UpBlock] = []
        let reversed = Array(ch.reversed())
        output = reversed[0]
        for (i, type) in c.upBlockTypes.enumerated() {
            let previous = output
            output = reversed[i]
            let input = reversed[min(i + 1, ch.count - 1)]
            let p = "up_blocks.\(i)"
            let layers = c.layersPerBlock + 1
            var resnets: [ResnetBlock] = [], attentions: [SpatialSelfAttention] = []
            for j in 0..<layers {
                let skip = j == layers - 1 ? input : output
                let resIn = j == 0 ? previous : output
                resnets.append(ResnetBlock(&w, "\(p).resnets.\(j)", in: resIn + skip, out: output, config: c, outputScaleFactor: 1))
                if type == .attnUp {
                    attentions.append(try Self.attention(&w, "\(p).attentions.\(j)", channels: output,
                                                         headDim: c.attentionHeadDim ?? output, groups: c.normNumGroups,
                                                         config: c, rescale: 1))
                }
            }
            let last = i == ch.count - 1
            up.append(UpBlock(resnets: resnets, attentions: attentions,
                              upsampler: last ? nil : w.conv3("\(p).upsamplers.0.conv", in: output, out: output)))
        }
        self.up = up
        normOut = w.groupNorm("conv_norm_out", groups: c.normNumGroups, channels: ch[0], eps: c.normEps)
        convOut = w.conv3("conv_out", in: ch[0], out: c.outChannels)
        try w.check()
        parameterCount = w.requested.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    static func attention(_ w: inout WeightStore, _ p: String, channels: Int, headDim: Int, groups: Int?,
                          config c: UNetConfig, rescale: Double) throws -> SpatialSelfAttention {
        guard headDim <= channels else {
            throw ModelError.unsupportedConfig(field: "attention_head_dim", value: "\(headDim)",
                                               supported: "at most the block's channel count (\(channels))")
        }
        return SpatialSelfAttention(&w, p, channels: channels, headDim: headDim, groups: groups, eps: c.normEps,
                                    rescale: rescale)
    }

    /// The sinusoidal timestep embedding (diffusers' get_timestep_embedding). The frequency
    /// and argument are rounded to Float as PyTorch computes them, so the embedding matches
    /// to within an ulp; sin, cos and exp are our own.
    public static func timestepEmbedding(_ timesteps: [Double], dim: Int, flipSinToCos: Bool, freqShift: Double) -> Matrix {
        let half = dim / 2
        let logMaxPeriod = Float(DetMath.log(10000))
        var freqs = [Float](repeating: 0, count: half)
        for i in 0..<half {
            let exponent = (-logMaxPeriod * Float(i)) / Float(Double(half) - freqShift)
            freqs[i] = Float(DetMath.exp(Double(exponent)))
        }
        var out = [Float](repeating: 0, count: timesteps.count * dim)
        for (b, t) in timesteps.enumerated() {
            for i in 0..<half {
                let arg = Double(Float(t) * freqs[i])
                let s = Float(DetMath.sin(arg)), c = Float(DetMath.cos(arg))
                out[b * dim + i] = flipSinToCos ? c : s
                out[b * dim + half + i] = flipSinToCos ? s : c
            }
        }
        return Matrix(rows: timesteps.count, cols: dim, data: out)
    }

    /// eps_theta(x_t, t) (and the variance channels for learned-variance models).
    /// `sample` is NHWC; `timesteps` has one entry per batch item. `observe` sees named
    /// intermediate activations (for debugging against PyTorch).
    public func callAsFunction(_ sample: FeatureMap, timesteps: [Double],
                               observe: ((String, [Float]) -> Void)? = nil) -> FeatureMap {
        precondition(sample.channels == config.inChannels, "UNet: expected \(config.inChannels) channels")
        precondition(timesteps.count == sample.batch, "UNet: one timestep per batch item")
        var x = sample
        if config.centerInputSample { x.data = x.data.map { 2 * $0 - 1 } }
        let proj = Self.timestepEmbedding(timesteps, dim: config.blockOutChannels[0],
                                          flipSinToCos: config.flipSinToCos, freqShift: config.freqShift)
        observe?("act.time_proj", proj.data)
        var emb = timeLinear1(proj)
        emb.data = Elementwise.silu(emb.data)
        emb = timeLinear2(emb)
        observe?("act.time_embedding", emb.data)
        // Every resnet applies SiLU to the embedding before its projection: do it once.
        let activated = Matrix(rows: emb.rows, cols: emb.cols, data: Elementwise.silu(emb.data))

        var h = convIn(x)
        observe?("act.conv_in", h.toNCHW())
        var skips = [h]
        for (i, block) in down.enumerated() {
            h = block(h, activated, skips: &skips)
            observe?("act.down_blocks.\(i)", h.toNCHW())
        }
        if let mid {
            h = mid(h, activated)
            observe?("act.mid_block", h.toNCHW())
        }
        for (i, block) in up.enumerated() {
            h = block(h, activated, skips: &skips)
            observe?("act.up_blocks.\(i)", h.toNCHW())
        }
        h = normOut(h, silu: false)
        observe?("act.conv_norm_out", h.toNCHW())
        h.data = Elementwise.silu(h.data)
        return convOut(h)
    }

    /// Multiply-accumulates of one forward pass for one image of `height`×`width`, counting
    /// the GEMMs only (convolutions, linear layers, attention products): the FLOP count used
    /// for GFLOP/s figures is twice this.
    public func multiplyAccumulates(height: Int, width: Int) -> Int {
        var macs = 0
        func conv(_ c: Conv2D, _ h: inout Int, _ w: inout Int) {
            let o = c.outputSize(height: h, width: w)
            h = o.height; w = o.width
            macs += h * w * c.outChannels * c.inChannels * c.kernel * c.kernel
        }
        func resnet(_ r: ResnetBlock, _ h: Int, _ w: Int) {
            var hh = h, ww = w
            conv(r.conv1, &hh, &ww); hh = h; ww = w
            conv(r.conv2, &hh, &ww); hh = h; ww = w
            if let s = r.shortcut { conv(s, &hh, &ww) }
        }
        func attention(_ a: SpatialSelfAttention, _ h: Int, _ w: Int) {
            let t = h * w, c = a.toQ.inputs, inner = a.toQ.outputs
            macs += 3 * t * c * inner + t * inner * c + 2 * t * t * inner
        }
        var h = height, w = width
        var hh = h, ww = w
        conv(convIn, &hh, &ww)
        for block in down {
            for (i, r) in block.resnets.enumerated() {
                resnet(r, h, w)
                if !block.attentions.isEmpty { attention(block.attentions[i], h, w) }
            }
            if let d = block.downsampler { conv(d, &h, &w) }
        }
        if let mid {
            resnet(mid.first, h, w)
            if let a = mid.attention { attention(a, h, w) }
            resnet(mid.second, h, w)
        }
        for block in up {
            for (i, r) in block.resnets.enumerated() {
                resnet(r, h, w)
                if !block.attentions.isEmpty { attention(block.attentions[i], h, w) }
            }
            if let u = block.upsampler { h *= 2; w *= 2; var a = h, b = w; conv(u, &a, &b) }
        }
        hh = h; ww = w
        conv(convOut, &hh, &ww)
        return macs
    }
}

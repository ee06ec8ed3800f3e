import Tensor

/// ResnetBlock2D: GroupNorm → SiLU → conv → (+ time embedding) → GroupNorm → SiLU → conv,
/// plus a 1×1 shortcut when the channel count changes, divided by the output scale factor.
struct ResnetBlock: Sendable {
    let norm1: GroupNorm
    let conv1: Conv2D
    let timeProjection: Linear
    let norm2: GroupNorm
    let conv2: Conv2D
    let shortcut: Conv2D?
    let outputScaleFactor: Float
    let scaleShift: Bool

    init(_ w: inout WeightStore, _ p: String, in cin: Int, out cout: Int, config c: UNetConfig, outputScaleFactor: Double) {
        norm1 = w.groupNorm(p + ".norm1", groups: c.normNumGroups, channels: cin, eps: c.normEps)
        conv1 = w.conv3(p + ".conv1", in: cin, out: cout)
        scaleShift = c.scaleShiftTimeEmbedding
        timeProjection = w.linear(p + ".time_emb_proj", in: c.timeEmbedDim, out: scaleShift ? 2 * cout : cout)
        norm2 = w.groupNorm(p + ".norm2", groups: c.normNumGroups, channels: cout, eps: c.normEps)
        conv2 = w.conv3(p + ".conv2", in: cout, out: cout)
        shortcut = cin != cout ? w.conv(p + ".conv_shortcut", in: cin, out: cout, kernel: 1, padding: (0, 0, 0, 0)) : nil
        self.outputScaleFactor = Float(outputScaleFactor)
    }

    /// `activatedEmbedding` is SiLU(temb), shared by every block.
    func callAsFunction(_ x: FeatureMap, _ activatedEmbedding: Matrix) -> FeatureMap {
        var h = conv1(norm1(x, silu: true))
        let t = timeProjection(activatedEmbedding)
        let hw = h.height * h.width, c = h.channels
        if scaleShift {
            h = norm2(h)
            for b in 0..<h.batch {
                for p in 0..<hw {
                    for j in 0..<c {
                        let i = (b * hw + p) * c + j
                        h.data[i] = h.data[i] * (1 + t.data[b * 2 * c + j]) + t.data[b * 2 * c + c + j]
                    }
                }
            }
            h.data = Elementwise.silu(h.data)
        } else {
            for b in 0..<h.batch {
                for p in 0..<hw {
                    for j in 0..<c { h.data[(b * hw + p) * c + j] += t.data[b * c + j] }
                }
            }
            h = norm2(h, silu: true)
        }
        h = conv2(h)
        let skip = shortcut.map { $0(x) } ?? x
        h.data = Elementwise.addScaled(skip.data, h.data, divideBy: outputScaleFactor)
        return h
    }
}

extension SpatialSelfAttention {
    /// Loads diffusers' Attention weights, accepting the legacy names of old DDPM checkpoints
    /// (query / key / value / proj_attn) as well as to_q / to_k / to_v / to_out.0.
    init(_ w: inout WeightStore, _ p: String, channels c: Int, headDim: Int, groups: Int?, eps: Double,
         rescale: Double) {
        let heads = c / headDim, inner = heads * headDim
        let norm = groups.map { w.groupNorm(p + ".group_norm", groups: $0, channels: c, eps: eps) }
        self.init(norm: norm,
                  toQ: w.linear(p + ".to_q", in: c, out: inner, aliases: [p + ".query"]),
                  toK: w.linear(p + ".to_k", in: c, out: inner, aliases: [p + ".key"]),
                  toV: w.linear(p + ".to_v", in: c, out: inner, aliases: [p + ".value"]),
                  toOut: w.linear(p + ".to_out.0", in: inner, out: c, aliases: [p + ".proj_attn"]),
                  heads: heads, rescaleOutputFactor: Float(rescale))
    }
}

/// DownBlock2D / AttnDownBlock2D: resnets (each followed by attention in the Attn variant),
/// then an optional stride-2 conv. Every intermediate output is kept for the skip connections.
struct DownBlock: Sendable {
    let resnets: [ResnetBlock]
    let attentions: [SpatialSelfAttention]
    let downsampler: Conv2D?

    func callAsFunction(_ x: FeatureMap, _ emb: Matrix, skips: inout [FeatureMap]) -> FeatureMap {
        var h = x
        for (i, resnet) in resnets.enumerated() {
            h = resnet(h, emb)
            if !attentions.isEmpty { h = attentions[i](h) }
            skips.append(h)
        }
        if let downsampler {
            h = downsampler(h)
            skips.append(h)
        }
        return h
    }
}

/// UpBlock2D / AttnUpBlock2D: each resnet takes the running map concatenated with the most
/// recent skip, then optional attention; then an optional nearest-2× upsample and conv.
struct UpBlock: Sendable {
    let resnets: [ResnetBlock]
    let attentions: [SpatialSelfAttention]
    let upsampler: Conv2D?

    func callAsFunction(_ x: FeatureMap, _ emb: Matrix, skips: inout [FeatureMap]) -> FeatureMap {
        var h = x
        for (i, resnet) in resnets.enumerated() {
            let skip = skips.removeLast()
            h = resnet(h.concatChannels(skip), emb)
            if !attentions.isEmpty { h = attentions[i](h) }
        }
        if let upsampler { h = upsampler(h.upsampledNearest2x()) }
        return h
    }
}

/// UNetMidBlock2D: resnet, attention, resnet.
struct MidBlock: Sendable {
    let first: ResnetBlock
    let attention: SpatialSelfAttention?
    let second: ResnetBlock

    func callAsFunction(_ x: FeatureMap, _ emb: Matrix) -> FeatureMap {
        var h = first(x, emb)
        if let attention { h = attention(h) }
        return second(h, emb)
    }
}

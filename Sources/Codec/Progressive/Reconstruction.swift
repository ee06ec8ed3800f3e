import Diffusion
import Numerics

/// How a receiver turns the latest x_t into an image (docs/DESIGN.md §5).
public enum Reconstruction: String, CaseIterable, Sendable {
    /// x̂0(x_t), the network's denoised guess (DDPM Fig. 5/6), pulled toward the model's mean image
    /// by its preview prior (`preview.json`, Diffusion/PreviewPrior.swift) where x̂0 alone is worse
    /// than that mean: early in the stream. No further network calls; the raw guess without a prior.
    case xhat
    /// x̂0(x_t) as the network gives it, clipped: the saturated noise of early steps included.
    case xhatRaw = "xhat-raw"
    /// Ancestral sampling of the rest of the chain from p (sharper, t more network calls);
    /// the noise comes from the file seed, so every receiver draws the same image.
    case sample
    /// The deterministic DDIM (η = 0) decode of the rest of the chain.
    case ddim

    /// x_0 in model space per item, from the state after step t.
    public func run(network: PatchNetwork, shapes: [ChainShape], state: ProgressiveCoder.StepState,
                    seed: UInt64) -> [[Double]] {
        let t = state.step
        let clip = network.process.clipRange
        func clipped(_ x: [Double]) -> [Double] { x.map { min(max($0, -clip), clip) } }
        switch self {
        case .xhat, .xhatRaw:
            let raw = shapes.indices.map { clipped(network.predictedX0(state.outputs[$0], values: state.values[$0], step: t - 1)) }
            guard self == .xhat, let prior = network.model.preview else { return raw }
            let timestep = network.process.schedule.modelTimesteps[t - 1]
            return shapes.indices.map { prior.estimate(raw[$0], shape: shapes[$0], timestep: timestep) }
        case .sample:
            var values = state.values, outputs = state.outputs
            for s in stride(from: t, through: 1, by: -1) {
                var next: [[Double]] = []
                for j in shapes.indices {
                    let (means, stds) = network.reverseStep(outputs[j], values: values[j], step: s - 1)
                    if s == 1 { next.append(clipped(means)); continue }
                    var x = [Double](repeating: 0, count: means.count)
                    let stream = 1 << 63 | UInt64(s) << 32 | UInt64(j)
                    Philox4x32.fillStandardNormal(&x, seed: seed, stream: stream)
                    for d in x.indices { x[d] = means[d] + stds[d] * x[d] }
                    next.append(x)
                }
                values = next
                if s > 1 { outputs = network.outputs(shapes: shapes, values: values, step: s - 2) }
            }
            return values
        case .ddim:
            let abar = network.process.schedule.alphasCumprod
            var values = state.values, outputs = state.outputs
            for s in stride(from: t, through: 1, by: -1) {
                var next: [[Double]] = []
                for j in shapes.indices {
                    let x0 = clipped(network.predictedX0(outputs[j], values: values[j], step: s - 1))
                    if s == 1 { next.append(x0); continue }
                    let a = abar[s - 1], aPrev = abar[s - 2]
                    let scale = (1 - aPrev).squareRoot() / (1 - a).squareRoot()
                    next.append(zip(values[j], x0).map { xt, x0 in
                        aPrev.squareRoot() * x0 + scale * (xt - a.squareRoot() * x0)
                    })
                }
                values = next
                if s > 1 { outputs = network.outputs(shapes: shapes, values: values, step: s - 2) }
            }
            return values
        }
    }
}

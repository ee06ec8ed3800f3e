import Foundation
import UNet

/// What a receiver shows before the chain has resolved much: x̂0 pulled toward the data's mean.
///
/// Early in a progressive stream x̂0 = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t divides the network's error by √ᾱ_t
/// (~0.01 at t = T), so the clipped guess is saturated noise, farther from the image than a plain
/// mean image. The least-squares fix is x̃0 = m + w_t (x̂0 − m), with the mean image m and the
/// weight w_t ∈ [0, 1] fitted on training data per timestep (`Tools/preview_prior.py`). It changes
/// what a decoder shows, never a coded bit, so `preview.json` is not part of the model's identity.
///
///     {"format": 1, "shrink": [w_0 … w_{T−1}],
///      "mean": {"channels": C, "height": H, "width": W, "values": [C·H·W, CHW order, model space]}}
///
/// H = W = 1: a mean colour (whole-image models, any size); else the mean patch, indexed by a
/// sub-pixel's position in its patch (a patch cut short at an image's edge keeps its top-left part).
public struct PreviewPrior: Equatable, Sendable {
    public let shrink: [Double]
    public let channels: Int
    public let height: Int
    public let width: Int
    /// CHW.
    public let mean: [Double]
    /// Per channel, the mean over the mean image (for positions beyond it).
    public let channelMean: [Double]

    public init(shrink: [Double], channels: Int, height: Int, width: Int, mean: [Double]) throws(DiffusionError) {
        guard channels >= 1, height >= 1, width >= 1, mean.count == channels * height * width else {
            throw .invalidArgument(detail: "a preview mean of \(mean.count) values for \(channels)×\(height)×\(width)")
        }
        guard shrink.allSatisfy({ $0 >= 0 && $0 <= 1 }), mean.allSatisfy({ $0.isFinite && abs($0) <= 1 }) else {
            throw .invalidArgument(detail: "preview weights must lie in [0, 1] and mean values in [-1, 1]")
        }
        self.shrink = shrink; self.channels = channels; self.height = height; self.width = width; self.mean = mean
        let plane = height * width
        channelMean = (0..<channels).map { c in mean[(c * plane)..<((c + 1) * plane)].reduce(0, +) / Double(plane) }
    }

    /// `preview.json` beside a model with this many channels and timesteps; nil when there is none.
    public static func load(directory: String, channels: Int, timesteps: Int) throws(DiffusionError) -> PreviewPrior? {
        let path = (directory as NSString).appendingPathComponent("preview.json")
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        func bad(_ reason: String) -> DiffusionError { .unreadable(path: path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 24 else {
            throw bad("not readable, or larger than 16 MiB")
        }
        guard let dict = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw bad("not a JSON object") }
        let r = JSONFieldReader<DiffusionError>(dict: dict) { _, reason in bad(reason) }
        guard try r.int("format", default: 0) == 1 else { throw bad("unknown format (this ddpmc reads format 1)") }
        guard let shrink = try r.doubles("shrink"), shrink.count == timesteps else {
            throw bad("\"shrink\" must hold one weight per timestep (\(timesteps))")
        }
        guard let m = r.value("mean") as? [String: Any] else { throw bad("\"mean\" must be an object") }
        let mr = JSONFieldReader<DiffusionError>(dict: m) { _, reason in bad("mean: " + reason) }
        let (c, h, w) = (try mr.int("channels", default: 0), try mr.int("height", default: 0), try mr.int("width", default: 0))
        guard c == channels, h >= 1, w >= 1, h <= 1 << 12, w <= 1 << 12, let values = try mr.doubles("values") else {
            throw bad("the mean is \(c)×\(h)×\(w) with values; the model has \(channels) channel(s)")
        }
        do { return try PreviewPrior(shrink: shrink, channels: c, height: h, width: w, mean: values) } catch {
            throw bad(error.description)
        }
    }

    /// x̃0 for one chain item of `shape` (HWC values, x̂0 already clipped) at training timestep `t`.
    public func estimate(_ xhat: [Double], shape: ChainShape, timestep t: Int) -> [Double] {
        let weight = shrink[min(max(t, 0), shrink.count - 1)]
        return zip(xhat, meanValues(shape)).map { x, m in m + weight * (x - m) }
    }

    /// The mean m for each sub-pixel of an item of `shape` (HWC).
    public func meanValues(_ shape: ChainShape) -> [Double] {
        let plane = height * width
        var out = [Double](repeating: 0, count: shape.dimensions)
        for y in 0..<shape.height {
            for x in 0..<shape.width {
                for c in 0..<shape.channels {
                    out[(y * shape.width + x) * shape.channels + c] =
                        y < height && x < width && plane > 1 ? mean[c * plane + y * width + x] : channelMean[c]
                }
            }
        }
        return out
    }
}

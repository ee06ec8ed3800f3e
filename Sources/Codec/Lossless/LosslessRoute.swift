import Diffusion
import ImageIO

/// How a lossless file is coded (docs/DESIGN.md §4–§5).
///
/// Bits-back pays a one-off cost before it can pop anything (about 9,500 bits for one 28×28
/// patch), which an archive spreads over many images but a single small image cannot: one
/// Fashion-MNIST image costs 15.3 bits/dim by bits-back and 4.7 by the direct route. The direct
/// route sends the latents by reverse channel coding down to x_1 and x_0 under the discretized
/// decoder (a progressive file with its lossless tail at T* = 1), so it needs no initial bits but
/// pays the channel coding's overhead on every step.
public enum LosslessRoute: String, CaseIterable, Sendable {
    /// Both routes for small inputs (at most `trialDimensions` sub-pixels), keeping the smaller
    /// file; bits-back for larger ones, where its initial bits are a small share.
    case automatic
    case bitsBack = "bits-back"
    case direct

    /// Inputs up to this many sub-pixels are coded both ways (a 104×104 RGB photo; each encode
    /// of such an input takes about a minute on two cores).
    public static let trialDimensions = 1 << 15

    /// Which routes `route` codes for `dimensions` sub-pixels in `items` chain items (patches, or
    /// tiles of a whole-image model). A lone item larger than the trial size goes direct alone:
    /// bits-back would pay its initial bits (about 11 bits per dimension) with nothing to carry
    /// them, whereas the direct route costs a fraction of a bit per dimension over the bound
    /// (a 128×128 photo as one item by a whole-image model: 15-odd bits/dim by bits-back,
    /// 4.3 direct), and coding both would only double the time.
    public func tries(dimensions: Int, items: Int) -> (bitsBack: Bool, direct: Bool) {
        switch self {
        case .bitsBack: return (true, false)
        case .direct: return (false, true)
        case .automatic:
            if dimensions <= Self.trialDimensions { return (true, true) }
            return items == 1 ? (false, true) : (true, false)
        }
    }
}

/// The result of a lossless encode by either route.
public struct RoutedEncodeResult: Sendable {
    public var bytes: [UInt8]
    public var route: LosslessRoute
    /// The bits-back report (when that route was coded) and the direct route's (when it was).
    public var bitsBack: LosslessReport?
    public var direct: ProgressiveEncodeResult?
    public var dimensions: Int
}

extension LosslessCodec {
    /// Encodes losslessly by `route`; `automatic` keeps the smaller file of the routes it tries.
    /// The choice depends only on the file sizes, so it is deterministic.
    public func encode(_ images: [NamedImage], kind: SourceKind, parameters: CodingParameters, route: LosslessRoute,
                       progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> RoutedEncodeResult {
        let dims = images.reduce(0) { $0 + $1.image.pixels.count }
        let (tryBitsBack, tryDirect) = route.tries(dimensions: dims, items: Patches.shapes(images.map {
            ImageEntry(name: $0.name, width: $0.image.width, height: $0.image.height, channels: $0.image.channels)
        }, model: model).count)
        var result = RoutedEncodeResult(bytes: [], route: route, bitsBack: nil, direct: nil, dimensions: dims)
        // Progress runs over both encodes when both are tried.
        let share = tryDirect && tryBitsBack ? 2 : 1
        var offset = 0
        if tryBitsBack {
            let (bytes, report) = try encode(images, kind: kind, parameters: parameters) { done, total in
                progress(done, total * share)
                offset = total
            }
            result.bytes = bytes
            result.route = .bitsBack
            result.bitsBack = report
        }
        if tryDirect {
            // The direct route's own defaults; the steps, spacing, seed and clipping asked for apply (CodingParameters.direct).
            let p = CodingParameters.direct(following: parameters, dimensions: dims, steps: CodingParameters.directSteps)
            let direct: ProgressiveEncodeResult
            do {
                direct = try ProgressiveCodec(codec: self).encode(images, kind: kind, parameters: p) { done, total in
                    progress(offset + done, share == 2 ? offset + total : total)
                }
            } catch ProgressiveError.chunkTooLarge where route == .automatic {
                // A step whose KL no chunk layout can carry (images far from the model): bits-back codes
                // anything, so the automatic choice keeps it (coding it now if it had not been tried).
                if !tryBitsBack {
                    let (bytes, report) = try encode(images, kind: kind, parameters: parameters) { progress($0, $1) }
                    (result.bytes, result.route, result.bitsBack) = (bytes, .bitsBack, report)
                }
                return result
            }
            result.direct = direct
            if result.bytes.isEmpty || direct.bytes.count < result.bytes.count {
                result.bytes = direct.bytes
                result.route = .direct
            }
        }
        return result
    }
}

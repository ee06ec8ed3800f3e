// The DDPM decoder P_0 (docs/DESIGN.md §2): pixel level v in 0...255 stands for
// x = 2v/255 - 1, and gets the mass of N(mean, std^2) on [x - 1/255, x + 1/255], with the
// bins of 0 and 255 open towards -inf and +inf. Same quantization as the latent codec.

import Numerics

public struct DiscretizedGaussianPixelCodec: SymbolCodec, Sendable {
    /// The reserved units cost 256 / 2^P / ln 2 bits per pixel (5.5e-6 at 26) and the rANS
    /// rounding about 3e-6 at 26 (see GaussianGrid.recommendedPrecision): their sum is smallest here.
    public static let defaultPrecision = 26

    public var mean: Double { model.mean }
    public var std: Double { model.std }
    public var precision: Int { model.precision }
    let model: QuantizedGaussian<PixelBinEdges>

    public init(mean: Double, std: Double, precision: Int = defaultPrecision) throws(EntropyCodingError) {
        guard precision >= 8, precision <= 32 else { throw .invalidPrecision(precision) }
        guard mean.isFinite else { throw .invalidParameter("mean \(mean)") }
        guard std > 0, std.isFinite else { throw .invalidParameter("std \(std)") }
        model = QuantizedGaussian(edges: PixelBinEdges(), mean: mean, std: std, precision: precision)
    }

    public func interval(of symbol: UInt8) throws(EntropyCodingError) -> FrequencyInterval {
        model.interval(ofBin: Int(symbol))
    }

    public func symbol(containing slot: UInt32) -> (symbol: UInt8, interval: FrequencyInterval) {
        let (bin, interval) = model.bin(containing: slot)
        return (UInt8(bin), interval)
    }

    public func exactProbability(of symbol: UInt8) throws(EntropyCodingError) -> Double {
        model.exactMass(ofBin: Int(symbol))
    }

    /// The model's input scale for level v (PixelLevel).
    public static func value(of level: UInt8) -> Double { PixelLevel.value(Int(level)) }

    /// Pushes pixels[n-1], ..., pixels[0], pixel i with N(means[i], std^2).
    public static func push(_ pixels: [UInt8], means: [Double], std: Double, precision: Int = defaultPrecision,
                            onto stack: inout RANSStack) throws(EntropyCodingError) {
        guard means.count == pixels.count else { throw .lengthMismatch(expected: pixels.count, got: means.count) }
        for i in pixels.indices.reversed() {
            try Self(mean: means[i], std: std, precision: precision).push(pixels[i], onto: &stack)
        }
    }

    /// Pops means.count pixels, pixel 0 first.
    public static func pop(means: [Double], std: Double, precision: Int = defaultPrecision,
                           from stack: inout RANSStack) throws(EntropyCodingError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: means.count)
        for i in means.indices {
            out[i] = try Self(mean: means[i], std: std, precision: precision).pop(from: &stack)
        }
        return out
    }
}

/// Edge between levels i - 1 and i: x_(i-1) + 1/255 = (2i - 256) / 255, one rounding.
struct PixelBinEdges: BinEdges {
    var binCount: Int { 256 }

    @inline(__always)
    func innerEdge(_ i: Int) -> Double { Double(2 * i - 256) / 255 }

    @inline(__always)
    func approximateBin(containing x: Double) -> Int {
        let u = (x * 255 + 256) * 0.5
        if !(u > 0) { return 0 }
        if !(u < 256) { return 255 }
        return Int(u)
    }
}

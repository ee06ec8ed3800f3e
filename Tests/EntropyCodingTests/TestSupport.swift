import EntropyCoding
import Numerics

@_exported import TestSupport

extension TestRNG {
    mutating func normal() -> Double {
        Philox4x32.standardNormal(seed: 0x7E57, stream: 0, index: next())
    }
}

/// A Gaussian grid case for the CDF-inverse and frequency tests.
struct GaussianCase: CustomStringConvertible {
    var mean: Double
    var std: Double
    var delta: Double
    var symbols: ClosedRange<Int>
    var precision: Int

    var description: String { "N(\(mean), \(std)) delta \(delta) symbols \(symbols) P \(precision)" }

    func codec() throws -> DiscretizedGaussianCodec {
        try DiscretizedGaussianCodec(mean: mean, std: std,
                                     grid: GaussianGrid(delta: delta, symbols: symbols, precision: precision))
    }
}

// N(mean, std^2) on a GaussianGrid: the latent codec of the bits-back chain. Symbols are grid
// indices k (the value k * delta).

public struct DiscretizedGaussianCodec: SymbolCodec, Sendable {
    public let grid: GaussianGrid
    public var mean: Double { model.mean }
    public var std: Double { model.std }
    let model: QuantizedGaussian<UniformBinEdges>

    public var precision: Int { grid.precision }

    public init(mean: Double, std: Double, grid: GaussianGrid) throws(EntropyCodingError) {
        guard mean.isFinite else { throw .invalidParameter("mean \(mean)") }
        guard std > 0, std.isFinite else { throw .invalidParameter("std \(std)") }
        self.grid = grid
        model = QuantizedGaussian(edges: grid.edges, mean: mean, std: std, precision: grid.precision)
    }

    public func interval(of symbol: Int) throws(EntropyCodingError) -> FrequencyInterval {
        guard grid.symbols.contains(symbol) else { throw .symbolOutOfRange(symbol) }
        return model.interval(ofBin: symbol - grid.symbols.lowerBound)
    }

    public func symbol(containing slot: UInt32) -> (symbol: Int, interval: FrequencyInterval) {
        let (bin, interval) = model.bin(containing: slot)
        return (bin + grid.symbols.lowerBound, interval)
    }

    public func exactProbability(of symbol: Int) throws(EntropyCodingError) -> Double {
        guard grid.symbols.contains(symbol) else { throw .symbolOutOfRange(symbol) }
        return model.exactMass(ofBin: symbol - grid.symbols.lowerBound)
    }

    /// cum(i) for bin i = symbol - k_min, 0 <= i <= binCount (for tests and diagnostics).
    public func cumulativeFrequency(ofBin i: Int) -> UInt64 { model.cumulative(i) }
}

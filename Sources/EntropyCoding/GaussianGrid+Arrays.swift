// Whole latents at once: element i is coded with N(means[i], std_i^2) on the grid. The order
// convention of SymbolCodec.swift applies: pushing runs from the last element to the first,
// popping returns element 0 first, and the two are exact inverses.

extension GaussianGrid {
    public func push(_ symbols: [Int], means: [Double], std: Double,
                     onto stack: inout RANSStack) throws(EntropyCodingError) {
        guard means.count == symbols.count else { throw .lengthMismatch(expected: symbols.count, got: means.count) }
        for i in symbols.indices.reversed() {
            try DiscretizedGaussianCodec(mean: means[i], std: std, grid: self).push(symbols[i], onto: &stack)
        }
    }

    public func push(_ symbols: [Int], means: [Double], stds: [Double],
                     onto stack: inout RANSStack) throws(EntropyCodingError) {
        guard means.count == symbols.count else { throw .lengthMismatch(expected: symbols.count, got: means.count) }
        guard stds.count == symbols.count else { throw .lengthMismatch(expected: symbols.count, got: stds.count) }
        for i in symbols.indices.reversed() {
            try DiscretizedGaussianCodec(mean: means[i], std: stds[i], grid: self).push(symbols[i], onto: &stack)
        }
    }

    /// Pops means.count symbols, element 0 first.
    public func pop(means: [Double], std: Double, from stack: inout RANSStack) throws(EntropyCodingError) -> [Int] {
        var out = [Int](repeating: 0, count: means.count)
        for i in means.indices {
            out[i] = try DiscretizedGaussianCodec(mean: means[i], std: std, grid: self).pop(from: &stack)
        }
        return out
    }

    public func pop(means: [Double], stds: [Double], from stack: inout RANSStack) throws(EntropyCodingError) -> [Int] {
        guard stds.count == means.count else { throw .lengthMismatch(expected: means.count, got: stds.count) }
        var out = [Int](repeating: 0, count: means.count)
        for i in means.indices {
            out[i] = try DiscretizedGaussianCodec(mean: means[i], std: stds[i], grid: self).pop(from: &stack)
        }
        return out
    }
}

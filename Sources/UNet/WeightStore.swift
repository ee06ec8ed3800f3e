/// Hands out named tensors while building the network and records every problem, so one
/// error can list all missing, unexpected and mis-shaped tensors at once.
struct WeightStore {
    let tensors: [String: NamedTensor]
    private(set) var used: Set<String> = []
    private(set) var missing: [String] = []
    private(set) var misshaped: [String] = []
    /// When set, every requested tensor is invented (seeded, fan-in scaled) instead of looked
    /// up: this builds random-weight models for benchmarks and lists the names a config needs.
    private var synthesizer: SplitMix64?
    private(set) var requested: [(name: String, shape: [Int])] = []

    init(_ tensors: [String: NamedTensor]) { self.tensors = tensors }

    init(synthesizingWithSeed seed: UInt64) {
        self.tensors = [:]
        self.synthesizer = SplitMix64(seed: seed)
    }

    /// Records the requested names and shapes, handing out zeros (cheap: nothing to invent).
    init(listing: Void) {
        self.tensors = [:]
        self.listing = true
    }
    private var listing = false

    /// The tensor `name` with exactly `shape`; `aliases` are older names for the same weight
    /// (legacy attention blocks), whose shapes may carry trailing 1×1 dimensions.
    mutating func take(_ name: String, _ shape: [Int], aliases: [String] = []) -> [Float] {
        let count = shape.reduce(1, *)
        requested.append((name, shape))
        if listing { return [Float](repeating: 0, count: count) }
        if var rng = synthesizer {
            defer { synthesizer = rng }
            let fanIn = shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1
            let isNormWeight = shape.count == 1 && name.hasSuffix(".weight")
            let std = shape.count > 1 ? 1 / Double(fanIn).squareRoot() : 0.1
            return (0..<count).map { _ in Float((isNormWeight ? 1 : 0) + std * rng.nextSymmetric()) }
        }
        for candidate in [name] + aliases {
            guard let t = tensors[candidate] else { continue }
            used.insert(candidate)
            var s = t.shape
            if candidate != name { while s.count > shape.count && s.last == 1 { s.removeLast() } }
            if s != shape {
                misshaped.append("\(candidate) \(t.shape) (expected \(shape))")
                return [Float](repeating: 0, count: count)
            }
            return t.values
        }
        missing.append(name + (aliases.isEmpty ? "" : " (or \(aliases.joined(separator: " / ")))"))
        return [Float](repeating: 0, count: count)
    }

    func check() throws {
        if synthesizer != nil || listing { return }
        let unexpected = tensors.keys.filter { !used.contains($0) }.sorted()
        if !missing.isEmpty || !unexpected.isEmpty || !misshaped.isEmpty {
            throw ModelError.tensorMismatch(missing: missing, unexpected: unexpected, misshaped: misshaped)
        }
    }
}

import Tensor

extension WeightStore {
    mutating func conv(_ p: String, in cin: Int, out cout: Int, kernel: Int, stride: Int = 1,
                       padding: (top: Int, left: Int, bottom: Int, right: Int)) -> Conv2D {
        let w = take(p + ".weight", [cout, cin, kernel, kernel])
        let b = take(p + ".bias", [cout])
        return Conv2D(weight: w, bias: b, inChannels: cin, outChannels: cout, kernel: kernel, stride: stride, padding: padding)
    }

    mutating func conv3(_ p: String, in cin: Int, out cout: Int) -> Conv2D {
        conv(p, in: cin, out: cout, kernel: 3, padding: (1, 1, 1, 1))
    }

    mutating func linear(_ p: String, in cin: Int, out cout: Int, aliases: [String] = []) -> Linear {
        let w = take(p + ".weight", [cout, cin], aliases: aliases.map { $0 + ".weight" })
        let b = take(p + ".bias", [cout], aliases: aliases.map { $0 + ".bias" })
        return Linear(weight: w, bias: b, outputs: cout, inputs: cin)
    }

    mutating func groupNorm(_ p: String, groups: Int, channels: Int, eps: Double) -> GroupNorm {
        GroupNorm(groups: groups, channels: channels, eps: eps,
                  gamma: take(p + ".weight", [channels]), beta: take(p + ".bias", [channels]))
    }
}

/// A small seeded generator for invented weights (never used for anything that is coded).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform on [-sqrt(3), sqrt(3)): unit variance.
    mutating func nextSymmetric() -> Double {
        (Double(next() >> 11) / Double(1 << 53) * 2 - 1) * 3.0.squareRoot()
    }
}

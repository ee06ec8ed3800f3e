import Numerics

/// One-shot channel simulation (reverse channel coding) of a Gaussian chunk, after minimal
/// random coding (Havasi, Peharz & Hernández-Lobato 2019) with a shared proposal:
///
/// Sender and receiver draw the same 2^b candidate vectors z_i from a counter-based PRNG
/// keyed by the file seed and a stream that names (step, item, chunk); candidate i is the
/// proposal sample x_i = μ_p + σ_p z_i. The sender picks i with probability ∝ q(x_i) / p(x_i)
/// and sends i in b bits; the receiver rebuilds x_i. With b ≈ KL(q‖p) plus a bit or two the
/// picked x_i is close in distribution to a sample of q, at a cost of b bits instead of the
/// bits of an exact, quantized x.
public enum ReverseChannel {
    /// How the sender picks among the candidates; the receiver only reads the index, so this is
    /// the encoder's choice alone and not part of the file.
    public enum Choice: Sendable {
        /// i with probability ∝ q(x_i)/p(x_i): x_i is (nearly) a sample of q, as a lossy preview
        /// that should look like a draw of the model needs.
        case sample
        /// The i of largest q(x_i)/p(x_i). With 2^KL candidates a sampled x_i leans toward the
        /// proposal, and over a chain of steps that lean compounds (the later steps' KL and the
        /// decoder step cost more: 3.87 against 2.68 bits/dim on five Fashion-MNIST images, 100
        /// steps); the likeliest candidate keeps the chain near x_0 (3.20). When only the lossless
        /// total matters, this is the better choice (docs/DESIGN.md §5).
        case likeliest
    }

    /// Philox stream of a chunk: 16 bits of step, 24 of item, 24 of chunk.
    public static func stream(step: Int, item: Int, chunk: Int) -> UInt64 {
        precondition(step < 1 << 16 && item < 1 << 24 && chunk < 1 << 24)
        return UInt64(step) << 48 | UInt64(item) << 24 | UInt64(chunk)
    }

    /// One Philox block of (seed, stream): four words, each two 16-bit quantized-normal levels.
    @inline(__always)
    static func levels(seed: UInt64, stream: UInt64, block: UInt64) -> SIMD4<UInt32> {
        let r = Philox4x32.block(counter: (UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32),
                                           UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)),
                                 key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
        return SIMD4<UInt32>(r.0, r.1, r.2, r.3)
    }

    /// The z vector (count values) of candidate `index` in `stream`.
    public static func candidate(seed: UInt64, stream: UInt64, index: Int, count: Int, into z: inout [Double]) {
        let table = QuantizedNormal.shared.values
        let blocks = (count + 7) / 8
        var d = 0
        for b in 0..<blocks {
            let words = levels(seed: seed, stream: stream, block: UInt64(index) * UInt64(blocks) + UInt64(b))
            for w in 0..<4 {
                let word = words[w]
                if d < count { z[d] = table[Int(word & 0xFFFF)]; d += 1 }
                if d < count { z[d] = table[Int(word >> 16)]; d += 1 }
            }
        }
    }

    /// The sender's choice among 2^bits candidates for one chunk, given per dimension
    /// a = (μ_p − μ_q) / σ_q and s = σ_p / σ_q: log q(x)/p(x) = Σ [z²/2 − (a + s z)²/2] + const.
    /// The choice draws on its own Philox stream (the top bit of the key flipped), so an encode
    /// is reproducible.
    public static func choose(seed: UInt64, stream: UInt64, bits: Int, a: [Double], s: [Double],
                              choice: Choice = .sample) -> Int {
        let n = 1 << bits
        if n == 1 { return 0 }
        let m = a.count
        let table = QuantizedNormal.shared.values
        let blocks = (m + 7) / 8
        var logWeights = [Double](repeating: 0, count: n)
        var best = -Double.infinity
        for i in 0..<n {
            var total = 0.0
            var d = 0
            for b in 0..<blocks {
                let words = levels(seed: seed, stream: stream, block: UInt64(i) * UInt64(blocks) + UInt64(b))
                for w in 0..<4 {
                    let word = words[w]
                    if d < m {
                        let z = table[Int(word & 0xFFFF)], e = a[d] + s[d] * z
                        total += z * z - e * e; d += 1
                    }
                    if d < m {
                        let z = table[Int(word >> 16)], e = a[d] + s[d] * z
                        total += z * z - e * e; d += 1
                    }
                }
            }
            logWeights[i] = 0.5 * total
            best = max(best, logWeights[i])
        }
        if choice == .likeliest { return logWeights.firstIndex(of: best) ?? 0 }
        var cumulative = [Double](repeating: 0, count: n)
        var sum = 0.0
        for i in 0..<n {
            sum += DetMath.exp(logWeights[i] - best)
            cumulative[i] = sum
        }
        let u = Philox4x32.uniform01(seed: seed ^ (1 << 63), stream: stream, index: 0) * sum
        var lo = 0, hi = n - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

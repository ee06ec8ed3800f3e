// A symbol codec is a probability model quantized to integer frequencies out of 2^precision:
// it maps a symbol to its interval for pushing, and a slot back to the symbol whose interval
// contains it for popping. The stack does the arithmetic; codecs only answer those two
// questions, so every model gets push, pop and the codelength bookkeeping from here.

/// [start, start + frequency) out of 2^precision.
public struct FrequencyInterval: Equatable, Sendable {
    public var start: UInt32
    public var frequency: UInt32

    @inlinable
    public init(start: UInt32, frequency: UInt32) {
        self.start = start
        self.frequency = frequency
    }
}

public protocol SymbolCodec {
    associatedtype Symbol

    /// Frequencies are out of 2^precision, 1 <= precision <= 32.
    var precision: Int { get }

    /// The interval of `symbol`; throws for symbols outside the alphabet or of frequency 0.
    func interval(of symbol: Symbol) throws(EntropyCodingError) -> FrequencyInterval

    /// The symbol whose interval contains `slot` (< 2^precision), with that interval. Every
    /// slot must belong to a symbol of nonzero frequency: this is what makes popping total,
    /// so any input, however damaged, decodes to something without a crash.
    func symbol(containing slot: UInt32) -> (symbol: Symbol, interval: FrequencyInterval)

    /// The probability of `symbol` under the real-valued model that the frequencies
    /// approximate, to measure what the quantization costs.
    func exactProbability(of symbol: Symbol) throws(EntropyCodingError) -> Double
}

extension SymbolCodec {
    @inlinable
    public func push(_ symbol: Symbol, onto stack: inout RANSStack) throws(EntropyCodingError) {
        let i = try interval(of: symbol)
        stack.pushUnchecked(start: i.start, frequency: i.frequency, precision: precision)
    }

    @inlinable
    public func pop(from stack: inout RANSStack) -> Symbol {
        let (symbol, i) = self.symbol(containing: stack.peek(precision: precision))
        stack.commitPopUnchecked(start: i.start, frequency: i.frequency, precision: precision)
        return symbol
    }

    /// -log2 of the quantized probability frequency / 2^precision: what a push costs, up to
    /// the rANS rounding (which averages out to about zero).
    public func quantizedCodeLength(of symbol: Symbol) throws(EntropyCodingError) -> Double {
        Double(precision) - log2(Double(try interval(of: symbol).frequency))
    }

    /// -log2 of the exact probability: the ideal the quantized code approximates.
    public func exactCodeLength(of symbol: Symbol) throws(EntropyCodingError) -> Double {
        -log2(try exactProbability(of: symbol))
    }
}

// Arrays. A stack returns the last thing pushed first, so pushing an array runs from its last
// element to its first: then popping yields element 0 first, and `push(_:codecs:)` and
// `pop(codecs:)` with the same codecs are exact inverses.

extension RANSStack {
    /// Pushes symbols[n-1] with codecs[n-1], ..., symbols[0] with codecs[0].
    public mutating func push<C: SymbolCodec>(_ symbols: [C.Symbol], codecs: [C]) throws(EntropyCodingError) {
        guard codecs.count == symbols.count else { throw .lengthMismatch(expected: symbols.count, got: codecs.count) }
        for i in symbols.indices.reversed() {
            try codecs[i].push(symbols[i], onto: &self)
        }
    }

    /// Pops one symbol per codec, element 0 (with codecs[0]) first.
    public mutating func pop<C: SymbolCodec>(codecs: [C]) -> [C.Symbol] {
        codecs.map { $0.pop(from: &self) }
    }
}

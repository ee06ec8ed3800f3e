// Everything that can go wrong in the entropy coder, as one closed set so that callers (the
// lossless codec, the CLI) can map each case to a message without string matching.

public enum EntropyCodingError: Error, Equatable, Sendable {
    /// A frequency precision outside 1...32 (the stack renormalizes in 32-bit words).
    case invalidPrecision(Int)
    /// A (start, frequency) pair that is empty or does not fit in 2^precision, or a pop
    /// committed with an interval that does not contain the slot it read.
    case invalidInterval(start: UInt64, frequency: UInt64, precision: Int)
    /// A symbol outside the codec's alphabet.
    case symbolOutOfRange(Int)
    /// A symbol the model gives frequency 0: it can never be coded.
    case zeroFrequency(Int)
    /// Codec parameters that cannot define a distribution (the string names the parameter).
    case invalidParameter(String)
    /// Parallel arrays (symbols, means, standard deviations) of different lengths.
    case lengthMismatch(expected: Int, got: Int)
    /// Serialized stack data that no encoder could have written.
    case malformedStack(String)
}

extension EntropyCodingError: CustomStringConvertible {
    /// One line a user can act on: what is wrong with the file or the model, not the coder's internals.
    public var description: String {
        switch self {
        case let .malformedStack(detail):
            return "the lossless stream is damaged (it cannot have been written by an encoder: \(detail))"
        case let .invalidParameter(detail):
            return "the model produced a value the coder cannot use (\(detail)); the model's weights may be damaged"
        case .invalidPrecision, .invalidInterval, .symbolOutOfRange, .zeroFrequency, .lengthMismatch:
            return "the stream does not decode under this model (the file is damaged, or the model is not the encoder's): "
                + "\(self.kind)"
        }
    }

    var kind: String {
        switch self {
        case let .invalidPrecision(p): return "precision \(p)"
        case let .invalidInterval(start, frequency, precision): return "interval \(start)+\(frequency) of 2^\(precision)"
        case let .symbolOutOfRange(s): return "symbol \(s) out of range"
        case let .zeroFrequency(s): return "symbol \(s) has zero frequency"
        case let .lengthMismatch(e, g): return "\(g) values where \(e) were expected"
        case let .malformedStack(d), let .invalidParameter(d): return d
        }
    }
}

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

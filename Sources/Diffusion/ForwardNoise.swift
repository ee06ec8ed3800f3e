import Numerics

/// The noise eps of x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, drawn from the counter-based
/// Philox4x32-10 generator so that any (image, t) can be regenerated alone, in any order, by
/// this code or by a NumPy port (Tools/bound_reference.py).
///
/// Key = the seed; stream = image index << 32 | t, where the image index is the image's position
/// in the evaluated list (for `ddpmc bound`: across all inputs, in order) and t is the 1-based
/// timestep of the ORIGINAL chain (model timestep + 1), so a respaced bound reuses the full bound's
/// noise at the kept timesteps; sample index = the sub-pixel's HWC index in the whole image.
public enum ForwardNoise {
    public static func stream(image: Int, timestep t: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: image) << 32 | UInt64(truncatingIfNeeded: t)
    }

    /// Fills `out` with the standard normal noise of `image` at original timestep t.
    public static func fill(_ out: inout [Double], seed: UInt64, image: Int, timestep t: Int) {
        Philox4x32.fillStandardNormal(&out, seed: seed, stream: stream(image: image, timestep: t))
    }
}

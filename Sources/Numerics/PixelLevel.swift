/// The one mapping from an 8-bit level to the model's scale (docs/DESIGN.md §1): level v in
/// 0...255 is x = 2v/255 − 1, one division and one subtraction, so every module that needs x
/// (the bound, both coders, the pixel codec) gets the same bits.
public enum PixelLevel {
    @inline(__always)
    public static func value(_ v: Int) -> Double { Double(2 * v) / 255 - 1 }
}

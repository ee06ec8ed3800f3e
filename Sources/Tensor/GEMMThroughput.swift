import COpenBLAS
import Foundation

/// The machine's dgemm throughput, the reference the forward pass is measured against.
public enum GEMMThroughput {
    /// GFLOP/s of a square `size`³ dgemm, best of `repeats` timed runs after one warm-up.
    public static func dgemmGFLOPS(size n: Int = 2048, repeats: Int = 3) -> Double {
        var a = [Double](repeating: 0, count: n * n), b = a, c = a
        for i in 0..<(n * n) {
            a[i] = Double((i * 7919) % 2001 - 1000)
            b[i] = Double((i * 104_729) % 2001 - 1000)
        }
        var best = Double.infinity
        for r in 0...repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(n),
                        1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if r > 0 { best = min(best, seconds) }
        }
        return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
    }
}

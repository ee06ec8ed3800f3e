import Foundation
import XCTest

/// Extra ulps allowed when comparing with the platform libm: glibc's exp, log, sin, cos,
/// expm1 and log1p are within ~0.5 ulp, other libms only promise < 1 ulp.
#if os(Linux)
let libmSlack = 0.0
#else
let libmSlack = 1.0
#endif

/// Distance in units in the last place between two Doubles, counted along the ordered
/// sequence of representable values (so it is exact across binades and through zero).
func ulpDistance(_ a: Double, _ b: Double) -> Double {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : .infinity }
    if a == b { return 0 }
    if a.isInfinite || b.isInfinite { return .infinity }
    func ordered(_ x: Double) -> Int64 {
        let i = Int64(bitPattern: x.bitPattern)
        return i < 0 ? Int64.min &- i : i
    }
    let (d, overflow) = ordered(a).subtractingReportingOverflow(ordered(b))
    return overflow ? .infinity : Double(d.magnitude)
}

func ulpDistance(_ a: Float, _ b: Float) -> Double {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : .infinity }
    if a == b { return 0 }
    if a.isInfinite || b.isInfinite { return .infinity }
    func ordered(_ x: Float) -> Int64 {
        let i = Int64(Int32(bitPattern: x.bitPattern))
        return i < 0 ? Int64(Int32.min) - i : i
    }
    return Double(abs(ordered(a) - ordered(b)))
}

@_exported import TestSupport

/// Tracks the worst ulp error of a function against a reference over many points, so a
/// failure reports the worst input rather than the first one.
struct ULPTracker {
    let name: String
    var worst = 0.0
    var worstX = 0.0
    var count = 0
    init(_ name: String) { self.name = name }
    mutating func add(_ x: Double, _ got: Double, _ want: Double) {
        let d = ulpDistance(got, want)
        count += 1
        if d > worst || d.isNaN {
            worst = d
            worstX = x
        }
    }
    func check(maxULP: Double, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(worst, maxULP, "\(name): \(worst) ulp at x = \(worstX) (\(count) points)",
                                 file: file, line: line)
    }
}



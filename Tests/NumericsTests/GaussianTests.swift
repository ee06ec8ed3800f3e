import Foundation
import Numerics
import XCTest

final class GaussianTests: XCTestCase {
    /// Against mpmath's bin masses: codec-like pixel bins at several scales (including open
    /// edge bins), far tails on both sides, and bins down to 1e-12 wide.
    func testBinMassReferenceValues() {
        for c in ReferenceValues.binMass {
            let got = DetMath.gaussianBinMass(lower: c.lower, upper: c.upper, mean: c.mean, std: c.std)
            let label = "bin (\(c.lower), \(c.upper)] mean \(c.mean) std \(c.std): \(got), want \(c.mass)"
            if c.mass >= 0x1p-1022 {
                XCTAssertLessThanOrEqual(abs(got - c.mass) / c.mass, 2e-15, label)
            } else {
                XCTAssertLessThanOrEqual(ulpDistance(got, c.mass), 2, label)
            }
        }
    }

    /// Phi against 0.5 erfc(-x/sqrt 2) from libm. libm's value carries the rounding of
    /// x/sqrt 2, which costs ~x^2 ulp of relative error, hence the growing tolerance.
    func testNormalCDFAgainstLibm() {
        var x = -38.0
        while x < 9 {
            let got = DetMath.normalCDF(x)
            let want = 0.5 * Foundation.erfc(-x / 2.0.squareRoot())
            if want >= 0x1p-1022 {
                let tol = (4 + x * x) * 0x1p-52
                XCTAssertLessThanOrEqual(abs(got - want) / want, tol, "normalCDF(\(x)) = \(got), libm \(want)")
            }
            x += 0.00391
        }
        XCTAssertEqual(DetMath.normalCDF(0), 0.5)
        XCTAssertEqual(DetMath.normalCDF(-.infinity), 0)
        XCTAssertEqual(DetMath.normalCDF(.infinity), 1)
        XCTAssertEqual(DetMath.normalCDF(-40), 0)
        XCTAssertEqual(DetMath.normalCDF(40), 1)
        XCTAssertTrue(DetMath.normalCDF(.nan).isNaN)
    }

    func testNormalCDFMonotoneAndSymmetric() {
        var previous = 0.0
        var x = -39.0
        while x < 9 {
            let p = DetMath.normalCDF(x)
            XCTAssertGreaterThanOrEqual(p, previous, "normalCDF not monotone at \(x)")
            previous = p
            if x > -9 {
                XCTAssertEqual(p + DetMath.normalCDF(-x), 1, accuracy: 2e-16, "symmetry at \(x)")
            }
            x += 0.000977
        }
    }

    func testLogNormalCDF() {
        var x = -37.0
        while x < 0 {
            let want = DetMath.log(DetMath.normalCDF(x))
            XCTAssertLessThanOrEqual(ulpDistance(DetMath.logNormalCDF(x), want), 4, "logNormalCDF(\(x))")
            x += 0.0097
        }
        // Continuity where the tail formula takes over, and beyond where Phi underflows.
        XCTAssertEqual(DetMath.logNormalCDF(-5), DetMath.logNormalCDF((-5.0).nextDown), accuracy: 1e-13)
        var previous = -Double.infinity
        for x in stride(from: -1e4, through: 8, by: 0.37) {
            let v = DetMath.logNormalCDF(x)
            XCTAssertGreaterThanOrEqual(v, previous, "logNormalCDF not monotone at \(x)")
            previous = v
        }
        XCTAssertEqual(DetMath.logNormalCDF(-.infinity), -.infinity)
        XCTAssertEqual(DetMath.logNormalCDF(.infinity), 0)
        XCTAssertTrue(DetMath.logNormalCDF(.nan).isNaN)
    }

    /// The 256 pixel bins of an 8-bit image on [-1, 1] (open at both ends) must partition
    /// the probability, for means and scales across the diffusion range.
    func testBinsSumToOne() {
        var rng = TestRNG(11)
        for _ in 0..<200 {
            let mean = rng.uniform(-1.3, 1.3)
            let std = Foundation.exp(rng.uniform(Foundation.log(1e-4), Foundation.log(2)))
            var total = 0.0
            for k in 0..<256 {
                let lower = k == 0 ? -Double.infinity : -1 + (2 * Double(k) - 1) / 255
                let upper = k == 255 ? Double.infinity : -1 + (2 * Double(k) + 1) / 255
                let m = DetMath.gaussianBinMass(lower: lower, upper: upper, mean: mean, std: std)
                XCTAssertGreaterThanOrEqual(m, 0)
                total += m
            }
            XCTAssertEqual(total, 1, accuracy: 1e-14, "mean \(mean) std \(std)")
        }
    }

    /// Wide bins straddling or near the mean, where the plain difference of libm CDFs is
    /// accurate, as an independent check of the tail-difference path.
    func testBinMassAgainstLibmDifferences() {
        func phi(_ x: Double) -> Double { 0.5 * Foundation.erfc(-x / 2.0.squareRoot()) }
        var rng = TestRNG(12)
        for _ in 0..<20_000 {
            let mean = rng.uniform(-1, 1), std = rng.uniform(0.05, 2)
            let lower = mean + std * rng.uniform(-3, 1)
            let upper = lower + std * rng.uniform(0.6, 3)
            let want = phi((upper - mean) / std) - phi((lower - mean) / std)
            let got = DetMath.gaussianBinMass(lower: lower, upper: upper, mean: mean, std: std)
            XCTAssertEqual(got, want, accuracy: 2e-15, "(\(lower), \(upper)] mean \(mean) std \(std)")
        }
    }

    /// A narrow bin holds about density times width, with a curvature correction.
    func testNarrowBinsMatchDensity() {
        var rng = TestRNG(13)
        for _ in 0..<20_000 {
            let lower = rng.uniform(-30, 30)
            let upper = lower + Foundation.exp2(rng.uniform(-40, -16))
            let got = DetMath.gaussianBinMass(lower: lower, upper: upper, mean: 0, std: 1)
            // The edges are what they are after rounding: take width and midpoint from them.
            let w = upper - lower, z = 0.5 * (lower + upper)
            // Integral of phi over [z - w/2, z + w/2] = phi(z) w (1 + (z^2 - 1) w^2 / 24 + ...).
            let density = Foundation.exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
            let want = density * w * (1 + (z * z - 1) * w * w / 24)
            // libm's exp(-z^2/2) carries the rounding of z^2/2: ~z^2 ulp.
            XCTAssertEqual(got / want, 1, accuracy: (8 + z * z) * 0x1p-52, "z \(z) w \(w)")
        }
    }

    func testBinMassEdgeCases() {
        XCTAssertEqual(DetMath.gaussianBinMass(lower: -.infinity, upper: .infinity, mean: 3, std: 2), 1)
        XCTAssertEqual(DetMath.gaussianBinMass(lower: 0, upper: .infinity, mean: 0, std: 1), 0.5)
        XCTAssertEqual(DetMath.gaussianBinMass(lower: -.infinity, upper: 0, mean: 0, std: 1), 0.5)
        XCTAssertEqual(DetMath.gaussianBinMass(lower: 1, upper: 1, mean: 0, std: 1), 0)
        XCTAssertEqual(DetMath.gaussianBinMass(lower: 2, upper: 1, mean: 0, std: 1), 0)
        XCTAssertEqual(DetMath.gaussianBinMass(lower: 50, upper: 60, mean: 0, std: 1), 0)
        XCTAssertEqual(DetMath.gaussianBinMass(lower: -60, upper: -50, mean: 0, std: 1), 0)
        XCTAssertEqual(DetMath.gaussianBinMass(lower: -1e300, upper: 1e300, mean: 0, std: 1e-300), 1)
        XCTAssertEqual(DetMath.gaussianBinMass(lower: -.greatestFiniteMagnitude, upper: .greatestFiniteMagnitude,
                                               mean: 1e308, std: 1), 1)
        XCTAssertGreaterThan(DetMath.gaussianBinMass(lower: 38, upper: 38.01, mean: 0, std: 1), 0)
        for bad in [(0.0, 1.0, 0.0, 0.0), (0, 1, 0, -1), (0, 1, 0, .infinity), (0, 1, .nan, 1),
                    (.nan, 1, 0, 1), (0, .nan, 0, 1), (0, 1, .infinity, 1), (0, 1, 0, .nan)] {
            XCTAssertTrue(DetMath.gaussianBinMass(lower: bad.0, upper: bad.1, mean: bad.2, std: bad.3).isNaN,
                          "\(bad)")
        }
    }
}

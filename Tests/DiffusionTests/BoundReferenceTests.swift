import Diffusion
import Foundation
import Numerics
import Tensor
import UNet
import XCTest

/// The bound against Tools/bound_reference.py (PyTorch + float64 NumPy, the DDPM authors' formulas,
/// the same Philox noise), as recorded in Fixtures/bound/reference.json by Tools/make_bound_fixtures.py.
///
/// End-to-end cases run our own network and must agree within 1e-4 bits/dim per image; replay cases
/// feed PyTorch's network outputs through the bound, which must then agree to round-off (1e-9 bits/dim,
/// or 1e-11 relative for the huge bounds random variances give). Slow cases run with DDPMC_SLOW_TESTS=1.
final class BoundReferenceTests: XCTestCase {
    struct Reference: Decodable {
        struct Noise: Decodable { let seed: String; let stream: String; let index: Int; let value: Double }
        struct Image: Decodable {
            let name: String
            let bits_per_dim: Double
            let prior: Double
            let diffusion: Double
            let decoder: Double
        }
        struct Case: Decodable {
            let id: String
            let name: String
            let model: String
            let inputs: [String]
            let first: Int?
            let steps: Int
            let respace: Bool
            let seed: UInt64
            let scheduler_overrides: [String: JSONValue]
            let clip: Bool?
            let clip_decoder: Bool
            let slow: Bool
            let images: [Image]
            let model_timesteps: [Int]
            let per_step: [Double]?
            let replay: String?
            let terms: Int?
            let spacing: String
        }
        struct Strata: Decodable {
            let steps: Int
            let terms: Int
            let seed: String
            let image: Int
            let ranges: [[Int]]
            let draws: [[Int]]
        }
        let tolerance_bits_per_dim: Double
        let noise: [Noise]
        let strata: [Strata]
        let cases: [Case]
    }

    /// A scheduler override value: the fixtures use strings and numbers.
    enum JSONValue: Decodable {
        case string(String), number(Double)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .string(s) } else { self = .number(try c.decode(Double.self)) }
        }
        var any: Any {
            switch self {
            case let .string(s): return s
            case let .number(n): return n.rounded() == n ? NSNumber(value: Int(n)) : NSNumber(value: n)
            }
        }
    }

    func reference() throws -> Reference {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("Fixtures/bound/reference.json")))
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    func testPhiloxNoiseMatchesTheNumPyPort() throws {
        for n in try reference().noise {
            var out = [Double](repeating: 0, count: n.index + 1)
            Philox4x32.fillStandardNormal(&out, seed: try XCTUnwrap(UInt64(n.seed)), stream: try XCTUnwrap(UInt64(n.stream)))
            XCTAssertEqual(out[n.index], n.value, accuracy: 1e-13 * max(1, abs(n.value)), "\(n)")
        }
    }

    /// The stratified estimate's strata and per-image draws of t match Tools/diffusion.py and the NumPy Philox.
    func testStepStrataMatchThePythonTools() throws {
        let checks = try reference().strata
        XCTAssertGreaterThanOrEqual(checks.count, 5)
        for c in checks {
            let strata = try StepStrata(steps: c.steps, terms: c.terms)
            XCTAssertEqual(strata.ranges.map { [$0.lowerBound, $0.upperBound] }, c.ranges, "\(c.steps) steps, \(c.terms) terms")
            let draws = strata.draws(seed: try XCTUnwrap(UInt64(c.seed)), image: c.image)
            XCTAssertEqual(draws.map { [$0.step, $0.weight] }, c.draws, "\(c.steps) steps, \(c.terms) terms, image \(c.image)")
        }
    }

    func testBoundMatchesPyTorchEndToEnd() throws {
        let ref = try reference()
        let slow = ProcessInfo.processInfo.environment["DDPMC_SLOW_TESTS"] == "1"
        let cases = ref.cases.filter { $0.replay == nil && (slow || !$0.slow) }
        XCTAssertGreaterThanOrEqual(cases.count, 7)
        XCTAssertTrue(cases.contains { $0.terms != nil }, "a stratified case")
        XCTAssertTrue(cases.contains { $0.spacing == "quadratic" }, "a quadratic respacing")
        for c in cases {
            try check(c, tolerance: { _ in ref.tolerance_bits_per_dim })
        }
    }

    func testBoundArithmeticMatchesPyTorchOnTheSameNetworkOutputs() throws {
        let cases = try reference().cases.filter { $0.replay != nil }
        XCTAssertGreaterThanOrEqual(cases.count, 4)
        for c in cases {
            let stored = try SafeTensors(path: fixturePath(try XCTUnwrap(c.replay))).tensors
            var seen = Set<Double>()
            // The evaluator sends the patches of all steps in order (step-major), in chunks that may
            // span steps: patch k of the run is patch k mod P of step k / P.
            let patchesPerStep = try XCTUnwrap(stored["step0"]).shape[0]
            var consumed = 0
            try check(c, tolerance: { max(1e-9, 1e-11 * abs($0)) }) { sample, timesteps in
                var data: [Float] = []
                var shape: [Int] = []
                for t in timesteps {
                    let i = consumed / patchesPerStep, p = consumed % patchesPerStep
                    consumed += 1
                    XCTAssertEqual(Int(t), c.model_timesteps[i], "\(c.id): patch \(p) of step \(i)")
                    seen.insert(t)
                    let out = stored["step\(i)"]!
                    shape = out.shape
                    let size = out.shape[1] * out.shape[2] * out.shape[3]
                    data += out.values[(p * size)..<((p + 1) * size)]
                }
                return FeatureMap(batch: timesteps.count, height: shape[1], width: shape[2], channels: shape[3], data: data)
            }
            XCTAssertEqual(seen.count, c.steps, c.id)
            XCTAssertEqual(consumed, c.steps * patchesPerStep, c.id)
        }
    }

    func check(_ c: Reference.Case, tolerance: (Double) -> Double,
               network: ((FeatureMap, [Double]) -> FeatureMap)? = nil) throws {
        let model = try loadModel(c.model, overrides: c.scheduler_overrides.mapValues(\.any))
        var images = try c.inputs.flatMap(loadPixelImages)
        if let first = c.first { images = Array(images.prefix(first)) }
        let evaluator = try BoundEvaluator(model: model, steps: c.respace ? c.steps : nil,
                                           spacing: try XCTUnwrap(TimestepSpacing(rawValue: c.spacing)), terms: c.terms, seed: c.seed,
                                           clipDenoised: c.clip, clipDecoder: c.clip_decoder)
        XCTAssertEqual(evaluator.schedule.modelTimesteps, c.model_timesteps, c.id)
        let report = try evaluator.evaluate(images, network: network)
        XCTAssertEqual(report.images.count, c.images.count, c.id)
        let worst = zip(report.images, c.images).map { abs($0.total - $1.bits_per_dim) }.max() ?? 0
        print("bound reference \(c.id): max |delta| " + String(format: "%.2e", worst) + " bits/dim ("
            + (network == nil ? "own network" : "replayed PyTorch outputs") + ")")
        for (mine, theirs) in zip(report.images, c.images) {
            let what = "\(c.id): \(mine.name)"
            XCTAssertEqual(mine.name, theirs.name, c.id)
            XCTAssertEqual(mine.total, theirs.bits_per_dim, accuracy: tolerance(theirs.bits_per_dim), what)
            XCTAssertEqual(mine.prior, theirs.prior, accuracy: 1e-12, "\(what) prior")
            XCTAssertEqual(mine.diffusion, theirs.diffusion, accuracy: tolerance(theirs.diffusion), "\(what) diffusion")
            XCTAssertEqual(mine.decoder, theirs.decoder, accuracy: tolerance(theirs.decoder), "\(what) decoder")
        }
        if let perStep = c.per_step {
            for (i, (a, b)) in zip(report.stepMeans, perStep).enumerated() {
                XCTAssertEqual(a, b, accuracy: tolerance(b), "\(c.id): step \(i + 1)")
            }
        }
    }
}

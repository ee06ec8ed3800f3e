import ArgumentParser
import Codec
import Diffusion
import Foundation
import ImageIO

/// The rate–distortion study of progressive coding (DDPM §4.3, Fig. 5), from one real encode:
/// rates are the stream's actual bits and the KL sums along the same chain, distortions those
/// of what a receiver would show at each step.
struct RDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rd",
        abstract: "Rate–distortion study of progressive coding: rd.csv, rd.json, rd.svg and a contact sheet.",
        discussion: "Encodes the inputs progressively (one archive) and records, every k-th step, per image and for the "
            + "set: the theoretical cumulative rate (L_T + Σ KL), the actual stream bits, and the RMSE/PSNR of x̂0; at a "
            + "few steps also of the 'sample' and 'ddim' reconstructions. Classical codecs are overlaid from a CSV "
            + "(codec,setting,bits_per_dim,rmse,psnr) such as Tools/baselines.py lossy writes.")

    @Argument(help: "images or data sets (PNG, folder, idx/idx.gz, .npy)") var inputs: [String] = []
    @Option(help: "output folder") var out: String
    @Option(help: "diffusers model directory (default: the bundled model for the images' channel count)") var model: String?
    @Option(parsing: .unconditional, help: "chain length after respacing (default \(CodingParameters.defaultSteps); with --spacing model the model chain's length)") var steps: Int?
    @Option(help: "which timesteps the respaced chain keeps: even, quadratic or model (the model's own chain)") var spacing = CodingParameters(mode: .progressive).spacing
    @Option(parsing: .unconditional, help: "record every k-th step") var every = 1
    @Option(parsing: .unconditional, help: "KL budget per chunk in bits") var chunkBits = CodingParameters().chunkBits
    @Option(parsing: .unconditional, help: "index bits per chunk beyond its KL share") var slackBits = CodingParameters().slackBits
    @Option(parsing: .unconditional, help: "use only the first N images of each input") var limit: Int?
    @Option(help: "steps at which to also measure 'sample' and 'ddim' (comma-separated, or none; default: 4 spread over the chain)")
    var reconstructAt: String?
    @Option(help: "classical codecs' CSV to overlay") var classical: String?
    @Option(parsing: .unconditional, help: "images in the contact sheet") var sheet = 4
    @Option(help: "title of the figure (kept by --replot unless given again)") var title: String?
    @Flag(help: "draw the rate axes of the distortion panels on a log scale (rates spanning decades)") var logRate = false
    @Flag(help: "only redraw OUT/rd.svg from OUT/rd.csv (the study's title and classical CSV are kept unless given again), no encoding")
    var replot = false

    func validate() throws {
        if inputs.isEmpty && !replot { throw ValidationError("give at least one input") }
        if replot && !inputs.isEmpty { throw ValidationError("--replot reads OUT/rd.csv: give no inputs") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if every < 1 { throw ValidationError("--every must be at least 1") }
        if !CodingParameters.Limits.chunkBits.contains(chunkBits) {
            throw ValidationError("--chunk-bits must be in \(CodingParameters.Limits.chunkBits)")
        }
        if !CodingParameters.Limits.slackBits.contains(slackBits) {
            throw ValidationError("--slack-bits must be in \(CodingParameters.Limits.slackBits)")
        }
        if sheet < 0 { throw ValidationError("--sheet must be ≥ 0") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    typealias Row = RDStudy.Row

    func run() throws {
        do { try replot ? redraw() : study() } catch let e as CLIError { throw e } catch { throw CLIError(describe(error)) }
    }

    /// rd.svg again from the rows rd.csv holds.
    func redraw() throws {
        let path = (out as NSString).appendingPathComponent("rd.csv")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("cannot read \(path)") }
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard lines.first == "step,image,reconstruction,rate_theoretical_bpd,rate_actual_bpd,rmse,psnr" else {
            throw CLIError("\(path) is not an rd.csv written by ddpmc rd")
        }
        lines.removeFirst()
        let rows = try lines.map { line -> Row in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 7, let step = Int(f[0]), let th = Double(f[3]), let ac = Double(f[4]), let rmse = Double(f[5]) else {
                throw CLIError("\(path): bad row '\(line)'")
            }
            return Row(image: f[1], step: step, reconstruction: f[2], theoretical: th, actual: ac, rmse: rmse)
        }
        guard rows.contains(where: { $0.image == "ALL" && $0.reconstruction == "xhat" }) else {
            throw CLIError("\(path) has no rows for the whole set (image ALL)")
        }
        let kept = PlotSettings.read(folder: out)
        let classicalPath = classical ?? kept?.classical
        let classicalRows = try classicalPath.map(readClassical) ?? []
        let name = title ?? kept?.title ?? "ddpmc rd: \((out as NSString).lastPathComponent)"
        try AtomicFile.write(Array(chart(rows, classical: classicalRows, title: name).render().utf8),
                             to: (out as NSString).appendingPathComponent("rd.svg"))
        try PlotSettings(title: name, classical: classicalPath).write(folder: out)
        note("\((out as NSString).appendingPathComponent("rd.svg")): redrawn from \(rows.count) rows")
    }

    func study() throws {
        var images: [NamedImage] = []
        for path in inputs {
            var (_, items) = try ImageSource.load(path: path)
            if let limit { items = Array(items.prefix(max(0, limit))) }
            images += items
        }
        guard let first = images.first else { throw CLIError("the inputs hold no images") }
        guard images.allSatisfy({ $0.image.channels == first.image.channels }) else {
            throw CLIError("the inputs mix gray and RGB images; study them separately")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let dir = try model ?? bundledModelDirectory(for: images.map(\.image))
        let codec = try ProgressiveCodec(model: try DiffusionModel(directory: dir))
        var p = CodingParameters(mode: .progressive)
        if spacing == .model {
            guard let chain = codec.model.chain else { throw CLIError("--spacing model: the model at \(dir) ships no chain of its own") }
            if let steps, steps != chain.steps { throw CLIError("--spacing model: the model's own chain has \(chain.steps) steps, not \(steps)") }
            p.steps = chain.steps
        } else {
            p.steps = min(steps ?? CodingParameters.defaultSteps, codec.model.schedule.count)
        }
        p.spacing = spacing; p.chunkBits = chunkBits; p.slackBits = slackBits
        var study = RDStudy(codec: codec, parameters: p)
        let k = study.chainLength
        study.every = every
        study.extraSteps = try reconstructAt.map { list in
            if list == "none" { return [] }
            return try list.split(separator: ",").map { s in
                guard let t = Int(s.trimmingCharacters(in: .whitespaces)), (1...k).contains(t) else {
                    throw CLIError("--reconstruct-at: '\(s)' is not a step in 1...\(k)")
                }
                return t
            }
        } ?? RDStudy.defaultExtraSteps(chain: k)
        study.sheetImages = sheet
        study.sheetSteps = Set(stride(from: k, through: 1, by: -max(1, k / 7)).map { $0 } + [1])

        let bar = ProgressLine(label: "rd encode")
        let extraBar = ProgressLine(label: "rd sample/ddim")
        let result = try study.run(images, progress: { bar.update($0, $1) }, extraProgress: { extraBar.update($0, $1) })
        let rows = result.rows
        let totalDims = Double(result.dimensions)
        let headerBits = result.headerBits
        try writeCSV(rows)
        if !result.previewFit.isEmpty {
            // The preview prior's weights as the coder's own x_t call for them (Tools/preview_prior.py --from-rd).
            var text = "step,timestep,weight,cross,spread\n"
            for f in result.previewFit {
                text += String(format: "%d,%d,%.6f,%.6e,%.6e\n", f.step, f.timestep, f.weight, f.cross, f.spread)
            }
            try AtomicFile.write(Array(text.utf8), to: (out as NSString).appendingPathComponent("preview-fit.csv"))
        }
        let classicalRows = try classical.map(readClassical) ?? []
        if let classical { checkClassical(classical, images: images.count, dimensions: result.dimensions) }
        try writeJSON(rows, headerBits: headerBits, totalDims: totalDims, model: codec.lossless.modelName, seconds: result.seconds)
        let name = title ?? "\(codec.lossless.modelName): \(images.count) image(s), \(k)-step chain, chunk budget \(chunkBits) bits"
        try AtomicFile.write(Array(chart(rows, classical: classicalRows, title: name).render().utf8),
                             to: (out as NSString).appendingPathComponent("rd.svg"))
        try PlotSettings(title: name, classical: classical).write(folder: out)
        let sheetCount = min(sheet, images.count)
        if sheetCount > 0 {
            let entries = images.prefix(sheetCount).map {
                ImageEntry(name: $0.name, width: $0.image.width, height: $0.image.height, channels: $0.image.channels)
            }
            try writeSheet(result.frames, originals: images.prefix(sheetCount).map(\.image.pixels), entries: Array(entries))
        }
        let final = rows.last { $0.image == "ALL" && $0.step == 1 && $0.reconstruction == "xhat" }!
        note(String(format: "%@: %d image(s), %d steps; at step 1: %.4f bits/dim actual vs %.4f theoretical (ratio %.3f), "
                    + "RMSE %.2f; container header %.4f bits/dim; encode %.1fs",
                    out, images.count, k, final.actual, final.theoretical, final.actual / max(final.theoretical, 1e-12),
                    final.rmse, headerBits / totalDims, result.seconds))
    }

    static func psnr(_ rmse: Double) -> Double { rmse > 0 ? 20 * log10(255 / rmse) : 100 }

    func writeCSV(_ rows: [Row]) throws {
        var s = "step,image,reconstruction,rate_theoretical_bpd,rate_actual_bpd,rmse,psnr\n"
        for r in rows {
            s += String(format: "%d,%@,%@,%.6f,%.6f,%.4f,%.4f\n", r.step, r.image, r.reconstruction, r.theoretical, r.actual,
                        r.rmse, r.psnr)
        }
        try AtomicFile.write(Array(s.utf8), to: (out as NSString).appendingPathComponent("rd.csv"))
    }

    /// CompressAI's results schema ({"name", "description", "results": {"bpp": [...], "psnr-rgb": [...]}}),
    /// one point per recorded step of the x̂0 curve of the set, plus our own fields.
    func writeJSON(_ rows: [Row], headerBits: Double, totalDims: Double, model: String, seconds: Double) throws {
        let set = rows.filter { $0.image == "ALL" && $0.reconstruction == "xhat" }
        let object: [String: Any] = [
            "name": "ddpmc-progressive (\(model))",
            "description": "DDPM progressive coding by reverse channel coding; rate = actual stream bits per dimension "
                + "(bpp = bits per sub-pixel here, as in bits/dim); container header not included (header_bpd)",
            "results": [
                "bpp": set.map(\.actual), "psnr-rgb": set.map(\.psnr), "psnr": set.map(\.psnr), "rmse": set.map(\.rmse),
                "step": set.map(\.step), "rate_theoretical_bpd": set.map(\.theoretical),
                "encoding_time": seconds,
            ] as [String: Any],
            "header_bpd": headerBits / totalDims,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write([UInt8](data), to: (out as NSString).appendingPathComponent("rd.json"))
    }

    func readClassical(_ path: String) throws -> [(codec: String, bpd: Double, rmse: Double)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("cannot read \(path)") }
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard let head = lines.first?.split(separator: ",").map(String.init),
              let ci = head.firstIndex(of: "codec"), let bi = head.firstIndex(of: "bits_per_dim"), let ri = head.firstIndex(of: "rmse") else {
            throw CLIError("\(path): expected a CSV with columns codec, bits_per_dim, rmse")
        }
        lines.removeFirst()
        return try lines.map { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == head.count, let b = Double(f[bi]), let r = Double(f[ri]) else { throw CLIError("\(path): bad row '\(line)'") }
            return (f[ci], b, r)
        }
    }

    func chart(_ rows: [Row], classical: [(codec: String, bpd: Double, rmse: Double)], title: String) -> SVGChart {
        let set = rows.filter { $0.image == "ALL" }
        func curve(_ mode: String) -> [Row] { set.filter { $0.reconstruction == mode }.sorted { $0.step > $1.step } }
        let xhat = curve("xhat")
        let raw = curve(Reconstruction.xhatRaw.rawValue)
        let colors = SVGChart.palette
        var rd: [SVGChart.Series] = [
            .init(name: "x̂0, actual rate", points: xhat.map { ($0.actual, $0.rmse) }, color: colors[0]),
            .init(name: "x̂0, theoretical rate", points: xhat.map { ($0.theoretical, $0.rmse) }, color: colors[0], dashed: true),
        ]
        for (n, mode) in ["sample", "ddim"].enumerated() where !curve(mode).isEmpty {
            rd.append(.init(name: "\(mode), actual rate", points: curve(mode).map { ($0.actual, $0.rmse) }, color: colors[1 + n], markers: true))
        }
        var codecs: [String] = []
        for c in classical where !codecs.contains(c.codec) { codecs.append(c.codec) }
        for (n, codec) in codecs.enumerated() {
            let pts = classical.filter { $0.codec == codec }.map { (x: $0.bpd, y: $0.rmse) }.sorted { $0.x < $1.x }
            rd.append(.init(name: codec, points: pts, color: colors[3 + n % (colors.count - 3)], dashed: true, markers: true))
        }
        // Axes fitted to every curve drawn, the classical codecs' included.
        let maxRate = rd.flatMap(\.points).map(\.x).filter(\.isFinite).max() ?? 1
        let maxRMSE = rd.flatMap(\.points).map(\.y).filter(\.isFinite).max() ?? 1
        let rateLabel = logRate ? "rate (bits/dim, log scale)" : "rate (bits/dim)"
        let psnr = rd.map { series -> SVGChart.Series in
            var s = series
            s.points = series.points.map { ($0.x, $0.y > 0 ? 20 * log10(255 / $0.y) : .nan) }
            return s
        }
        let psnrValues = psnr.flatMap(\.points).map(\.y).filter(\.isFinite)
        return SVGChart(panels: [
            .init(title: "PSNR vs rate", xLabel: rateLabel, yLabel: "PSNR (dB)", series: psnr,
                  xRange: logRate ? nil : 0...(maxRate * 1.05),
                  yRange: (psnrValues.min() ?? 0).rounded(.down)...((psnrValues.max() ?? 50) + 1).rounded(.up), logX: logRate),
            .init(title: "Distortion vs rate", xLabel: rateLabel, yLabel: "RMSE (0..255)", series: rd,
                  xRange: logRate ? nil : 0...(maxRate * 1.05), yRange: 0...(maxRMSE * 1.05), logX: logRate),
            .init(title: "Rate vs step", xLabel: "reverse step t (coding runs right to left)", yLabel: "cumulative rate (bits/dim)", series: [
                .init(name: "actual", points: xhat.map { (Double($0.step), $0.actual) }, color: colors[0]),
                .init(name: "theoretical", points: xhat.map { (Double($0.step), $0.theoretical) }, color: colors[0], dashed: true),
            ]),
            .init(title: "Distortion vs step", xLabel: "reverse step t", yLabel: "RMSE (0..255)", series:
                [.init(name: "x̂0", points: xhat.map { (Double($0.step), $0.rmse) }, color: colors[0])]
                + (raw.isEmpty ? [] : [.init(name: "x̂0 without the preview prior", points: raw.map { (Double($0.step), $0.rmse) },
                                             color: colors[7], dashed: true)])
                + ["sample", "ddim"].enumerated().compactMap { n, mode in
                    curve(mode).isEmpty ? nil : .init(name: mode, points: curve(mode).map { (Double($0.step), $0.rmse) },
                                                     color: colors[1 + n], markers: true)
                }),
        ], title: title)
    }

    /// Rows: images; columns: x̂0 at the sheet's steps from t = K down to 1, then the original.
    /// Small images are enlarged by pixel replication so a 28×28 frame is readable.
    func writeSheet(_ frames: [(step: Int, images: [[UInt8]])], originals: [[UInt8]], entries: [ImageEntry]) throws {
        let cellW = entries.map(\.width).max()!, cellH = entries.map(\.height).max()!
        // Small images are enlarged (nearest neighbour) to a readable cell of at least 160 pixels.
        let scale = max(1, (160 + max(cellW, cellH) - 1) / max(cellW, cellH))
        let c = entries[0].channels, gap = 2
        let columns = frames.count + 1
        let w = columns * (cellW * scale + gap) + gap, h = entries.count * (cellH * scale + gap) + gap
        var px = [UInt8](repeating: 255, count: w * h * c)
        for (row, e) in entries.enumerated() {
            for col in 0..<columns {
                let src = col < frames.count ? frames[col].images[row] : originals[row]
                let ox = gap + col * (cellW * scale + gap), oy = gap + row * (cellH * scale + gap)
                for y in 0..<(e.height * scale) {
                    for x in 0..<(e.width * scale) {
                        for ch in 0..<c {
                            px[((oy + y) * w + ox + x) * c + ch] = src[((y / scale) * e.width + x / scale) * c + ch]
                        }
                    }
                }
            }
        }
        let image = try Image(width: w, height: h, channels: c, pixels: px)
        try AtomicFile.write(try PNGCodec.encode(image), to: (out as NSString).appendingPathComponent("frames.png"))
        let steps = frames.map { String($0.step) }.joined(separator: ", ")
        try AtomicFile.write(Array("columns: x̂0 after steps \(steps), then the original\n".utf8),
                             to: (out as NSString).appendingPathComponent("frames.txt"))
    }
}

/// The figure's settings, kept beside rd.csv so that --replot redraws the same figure.
struct PlotSettings: Codable {
    var title: String
    var classical: String?

    static func read(folder: String) -> PlotSettings? {
        guard let data = FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent("rd-plot.json")) else {
            return nil
        }
        return try? JSONDecoder().decode(PlotSettings.self, from: data)
    }

    func write(folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write([UInt8](try encoder.encode(self)), to: (folder as NSString).appendingPathComponent("rd-plot.json"))
    }
}

extension RDCommand {
    /// Warns when the classical codecs' CSV was measured on other images: its JSON summary (same
    /// name, .json) records the image count and sub-pixels.
    func checkClassical(_ path: String, images: Int, dimensions: Int) {
        let summary = ((path as NSString).deletingPathExtension as NSString).appendingPathExtension("json")!
        guard let data = FileManager.default.contents(atPath: summary),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            note("warning: \(path) has no JSON summary beside it (\(summary)), so whether it was measured on the same "
                + "images cannot be checked")
            return
        }
        let theirImages = object["images"] as? Int, theirDims = object["total_dims"] as? Int
        if theirImages != images || theirDims != dimensions {
            note("warning: \(path) was measured on \(theirImages.map(String.init) ?? "?") image(s), "
                + "\(theirDims.map(String.init) ?? "?") sub-pixels; this study has \(images), \(dimensions): "
                + "the curves compare different images")
        }
    }
}

import Foundation

/// A minimal line-chart writer for the rate–distortion figure: a row of panels, each with
/// axes, nice ticks, a legend and any number of polyline series. Plain SVG 1.1, no scripts.
struct SVGChart {
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var color: String
        var dashed = false
        var markers = false
    }

    struct Panel {
        var title: String
        var xLabel: String
        var yLabel: String
        var series: [Series]
        var xRange: ClosedRange<Double>?
        var yRange: ClosedRange<Double>?
        /// A log10 x axis (positive x only): rates spanning decades stay readable.
        var logX = false
    }

    var panels: [Panel]
    var title: String
    var panelWidth = 420.0
    var panelHeight = 340.0

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"]

    func render() -> String {
        let margin = (left: 62.0, right: 16.0, top: 40.0, bottom: 52.0)
        let width = panelWidth * Double(panels.count), height = panelHeight + 30
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="18" text-anchor="middle" font-size="14" font-weight="bold">\(escape(title))</text>

        """
        for (n, panel) in panels.enumerated() {
            let x0 = Double(n) * panelWidth + margin.left, y0 = 30 + margin.top
            let w = panelWidth - margin.left - margin.right, h = panelHeight - margin.top - margin.bottom
            // On a log axis every x is drawn as log10(x); ranges and ticks live in that space.
            let logX = panel.logX
            let panel = logX ? panel.logarithmic() : panel
            let all = panel.series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
            let xr = panel.xRange ?? Self.padded(all.map(\.x))
            let yr = panel.yRange ?? Self.padded(all.map(\.y))
            func px(_ v: Double) -> Double { x0 + (v - xr.lowerBound) / (xr.upperBound - xr.lowerBound) * w }
            func py(_ v: Double) -> Double { y0 + h - (v - yr.lowerBound) / (yr.upperBound - yr.lowerBound) * h }
            s += "<text x=\"\(f(x0 + w / 2))\" y=\"\(f(y0 - 10))\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\">\(escape(panel.title))</text>\n"
            s += "<rect x=\"\(f(x0))\" y=\"\(f(y0))\" width=\"\(f(w))\" height=\"\(f(h))\" fill=\"none\" stroke=\"#333\"/>\n"
            for t in logX ? Self.logTicks(xr) : Self.ticks(xr) {
                s += "<line x1=\"\(f(px(t)))\" y1=\"\(f(y0))\" x2=\"\(f(px(t)))\" y2=\"\(f(y0 + h))\" stroke=\"#e5e5e5\"/>"
                s += "<text x=\"\(f(px(t)))\" y=\"\(f(y0 + h + 14))\" text-anchor=\"middle\">\(Self.label(logX ? pow(10, t) : t))</text>\n"
            }
            for t in Self.ticks(yr) {
                s += "<line x1=\"\(f(x0))\" y1=\"\(f(py(t)))\" x2=\"\(f(x0 + w))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>"
                s += "<text x=\"\(f(x0 - 5))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(Self.label(t))</text>\n"
            }
            s += "<text x=\"\(f(x0 + w / 2))\" y=\"\(f(y0 + h + 32))\" text-anchor=\"middle\">\(escape(panel.xLabel))</text>\n"
            s += "<text transform=\"translate(\(f(x0 - 44)),\(f(y0 + h / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(panel.yLabel))</text>\n"
            s += "<clipPath id=\"clip\(n)\"><rect x=\"\(f(x0))\" y=\"\(f(y0))\" width=\"\(f(w))\" height=\"\(f(h))\"/></clipPath>\n"
            for series in panel.series {
                let pts = series.points.filter { $0.x.isFinite && $0.y.isFinite }
                guard !pts.isEmpty else { continue }
                let path = pts.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                s += "<polyline clip-path=\"url(#clip\(n))\" fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"1.6\"\(series.dashed ? " stroke-dasharray=\"5,3\"" : "") points=\"\(path)\"/>\n"
                if series.markers {
                    for p in pts {
                        s += "<circle clip-path=\"url(#clip\(n))\" cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"2.2\" fill=\"\(series.color)\"/>"
                    }
                    s += "\n"
                }
            }
            // Legend inside the plot, in the corner its box hides the least of the curves.
            let box = (width: 150.0, height: 14 * Double(panel.series.count) + 4)
            let corners = [(x0 + w - box.width, y0 + 2), (x0 + 8, y0 + 2),
                           (x0 + w - box.width, y0 + h - box.height - 2), (x0 + 8, y0 + h - box.height - 2)]
            var covered = [Int](repeating: 0, count: corners.count)
            for series in panel.series {
                let pts = series.points.filter { $0.x.isFinite && $0.y.isFinite }.map { (px($0.x), py($0.y)) }
                // Segments, or the lone point as a segment of length zero.
                let segments = pts.count == 1 ? [(pts[0], pts[0])] : Array(zip(pts, pts.dropFirst()))
                for (a, b) in segments {
                    for i in 0...8 {
                        let u = Double(i) / 8, x = a.0 + u * (b.0 - a.0), y = a.1 + u * (b.1 - a.1)
                        for (c, corner) in corners.enumerated()
                        where x >= corner.0 && x <= corner.0 + box.width && y >= corner.1 && y <= corner.1 + box.height {
                            covered[c] += 1
                        }
                    }
                }
            }
            let best = covered.indices.min { covered[$0] < covered[$1] } ?? 0
            let (lx, top) = corners[best]
            s += "<rect x=\"\(f(lx - 4))\" y=\"\(f(top))\" width=\"\(f(box.width))\" height=\"\(f(box.height))\" fill=\"white\" fill-opacity=\"0.85\"/>\n"
            for (k, series) in panel.series.enumerated() {
                let ly = top + 12 + Double(k) * 14
                s += "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 18))\" y2=\"\(f(ly - 4))\" stroke=\"\(series.color)\" stroke-width=\"2\"\(series.dashed ? " stroke-dasharray=\"5,3\"" : "")/>"
                s += "<text x=\"\(f(lx + 22))\" y=\"\(f(ly))\">\(escape(series.name))</text>\n"
            }
        }
        return s + "</svg>\n"
    }

    func f(_ v: Double) -> String { String(format: "%.1f", v) }

    func escape(_ t: String) -> String {
        t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func padded(_ v: [Double]) -> ClosedRange<Double> {
        guard let lo = v.min(), let hi = v.max() else { return 0...1 }
        if hi - lo < 1e-12 { return (lo - 1)...(hi + 1) }
        let pad = (hi - lo) * 0.04
        return (lo - pad)...(hi + pad)
    }

    /// Ticks of a log10 axis: 1, 2 and 5 × 10^k inside the range (in log10 units).
    static func logTicks(_ r: ClosedRange<Double>) -> [Double] {
        var out: [Double] = []
        // 1, 2, 5 per decade over a short range; over many decades only the powers of ten.
        let mantissas: [Double] = r.upperBound - r.lowerBound > 2.5 ? [1] : [1, 2, 5]
        let stride = max(1, Int(ceil((r.upperBound - r.lowerBound) / 7)))
        for k in Int(floor(r.lowerBound))...Int(ceil(r.upperBound)) where k % stride == 0 {
            for m in mantissas {
                let t = log10(m) + Double(k)
                if r.contains(t) { out.append(t) }
            }
        }
        return out
    }

    /// 4–8 ticks at 1, 2 or 5 × 10^k spacing.
    static func ticks(_ r: ClosedRange<Double>) -> [Double] {
        let span = r.upperBound - r.lowerBound
        guard span > 0, span.isFinite else { return [] }
        let raw = span / 6
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var t = ceil(r.lowerBound / step) * step
        var out: [Double] = []
        while t <= r.upperBound + step * 1e-9 { out.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return out
    }

    static func label(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        let s = String(format: "%.3g", v)
        return s
    }
}

extension SVGChart.Panel {
    /// The panel with every x replaced by log10(x) (non-positive x dropped).
    func logarithmic() -> SVGChart.Panel {
        var p = self
        p.series = series.map { s in
            var s = s
            s.points = s.points.filter { $0.x > 0 }.map { (log10($0.x), $0.y) }
            return s
        }
        p.xRange = xRange.map { log10(Swift.max($0.lowerBound, 1e-6))...log10(Swift.max($0.upperBound, 2e-6)) }
        p.logX = false
        return p
    }
}

# Writes Tests/NumericsTests/ReferenceValues.swift: correctly rounded values from mpmath.
import mpmath as mp, math, sys
from exact import frac
mp.mp.dps = 80
def rnd(x):
    if mp.isinf(x): return math.inf if x > 0 else -math.inf
    if x == 0: return 0.0
    return float(frac(x))   # correctly rounded, including subnormals
def lit(v):
    if math.isinf(v): return ".infinity" if v > 0 else "-.infinity"
    if v == 0: return "-0.0" if math.copysign(1, v) < 0 else "0.0"
    if abs(v) < 2.2250738585072014e-308:  # subnormal: exact bits, no literal-conversion doubt
        import struct
        return "Double(bitPattern: 0x%016X)" % struct.unpack('<Q', struct.pack('<d', v))[0]
    return v.hex().replace('+', '')
def Q(t): return mp.ncdf(-t)
def binmass(l, u, m, s):
    M = mp.mpf
    a = -mp.inf if l == -math.inf else (M(l) - M(m)) / M(s)
    b = mp.inf if u == math.inf else (M(u) - M(m)) / M(s)
    if a >= 0: return Q(a) - Q(b)
    if b <= 0: return mp.ncdf(b) - mp.ncdf(a)
    return 1 - Q(b) - mp.ncdf(a)
funcs = {
  'exp': (mp.exp, [-745.1, -744.5, -708.5, -700.0, -20.5, -1.0, -1e-10, 1e-300, 0.5, 1.0, 2.302585092994046, 100.25, 709.0, 709.78]),
  'expm1': (mp.expm1, [-40.0, -1.0, -0.015625, -1e-8, 1e-20, 0.001, 0.015625, 0.3, 1.0, 10.0, 39.0, 700.0]),
  'log': (mp.log, [5e-324, 1e-310, 2.2250738585072014e-308, 1e-300, 0.1, 0.7071067811865476, 0.99999999, 1.0000000001, 1.5, 2.0, 10.0, 1e100, 1.7976931348623157e308]),
  'log1p': (mp.log1p, [-0.9999999999999999, -0.5, -1e-5, -1e-17, 1e-300, 1e-10, 0.004, 0.5, 1.0, 1e5, 1e300]),
  'sin': (mp.sin, [1e-300, 1e-8, 0.5, 0.7853981633974483, 1.5707963267948966, 3.141592653589793, 10.0, 100.0, 12345.678, 99999.5, 1647099.3291652855, 1e22, 6381956970095103 * 2.0**797, 1.7976931348623157e308]),
  'cos': (mp.cos, [1e-300, 1e-8, 0.5, 0.7853981633974483, 1.5707963267948966, 3.141592653589793, 10.0, 100.0, 12345.678, 99999.5, 1647099.3291652855, 1e22, 6381956970095103 * 2.0**797, 1.7976931348623157e308]),
  'tanh': (mp.tanh, [1e-300, 1e-9, 0.001, 0.25, 0.5493, 1.0, 5.0, 19.0, 21.9]),
  'erf': (mp.erf, [1e-300, 1e-10, 0.1, 0.4999999999999999, 0.5, 0.75, 1.0, 2.0, 3.5, 5.9, 6.0]),
  'erfc': (mp.erfc, [-5.0, -1.0, -0.5, -0.4999999999999999, 0.0, 1e-300, 0.25, 0.4999999999999999, 0.5, 0.75, 1.0, 2.0, 3.0, 5.0, 6.0, 10.0, 15.0, 20.0, 25.0, 26.0, 26.5, 26.55, 27.0, 27.2]),
  'normalCDF': (mp.ncdf, [-38.4, -37.5, -30.0, -20.0, -10.0, -5.0, -2.0, -1.0, -0.7, -1e-10, 0.0, 0.5, 1.0, 3.0, 8.0, 9.0]),
  'logNormalCDF': (lambda x: mp.log(mp.ncdf(x)) if x <= 0 else mp.log1p(-mp.ncdf(-x)), [-1e10, -1e5, -1000.0, -40.0, -27.0, -10.0, -5.0, -4.999, -1.0, 0.0, 1.0, 5.0, 10.0, 30.0]),
}
out = []
out.append("// Reference values for NumericsTests, computed with mpmath at 80 significant digits and")
out.append("// rounded once (to nearest, subnormals included): the correctly rounded results.")
out.append("")
out.append("enum ReferenceValues {")
for name, (f, xs) in funcs.items():
    out.append(f"    static let {name}: [(x: Double, value: Double)] = [")
    for x in xs:
        out.append(f"        ({lit(x)}, {lit(rnd(f(mp.mpf(x))))}),")
    out.append("    ]")
# bins: (lower, upper, mean, std)
bins = []
for k in (0, 1, 60, 127, 128, 200, 254, 255):
    l = -1 + 2*k/255 - 1/255; u = l + 2/255
    for (m, s) in ((0.0, 1.0), (0.3, 0.05), (-0.9, 0.002), (0.99, 0.2)):
        bins.append((-math.inf if k == 0 else l, math.inf if k == 255 else u, m, s))
bins += [
  (10.0, 11.0, 0.0, 1.0), (-11.0, -10.0, 0.0, 1.0), (30.0, 30.5, 0.0, 1.0), (37.0, 38.0, 0.0, 1.0),
  (-38.0, -37.5, 0.0, 1.0), (5.0, 5.0 + 1e-9, 0.0, 1.0), (0.0, 1e-12, 0.0, 1.0), (-1e-7, 1e-7, 0.0, 1.0),
  (20.0, 20.01, 0.0, 1.0), (2.0, 2.0000001, 1.0, 0.5), (-math.inf, -30.0, 0.0, 1.0), (30.0, math.inf, 0.0, 1.0),
  (-math.inf, math.inf, 0.25, 3.0), (-math.inf, 0.0, 0.0, 1.0), (0.1, 0.4, 0.1, 0.1), (0.3, 0.30001, 0.1, 0.01),
  (0.12, 0.1278431372549, 0.1, 1e-3), (-1.0, 1.0, 0.0, 1e-3), (3.0, 4.0, 3.5, 1e-8), (1e-3, 2e-3, 0.0, 1e-4),
  # both sides of the switch between quadrature (w <= 0.5, w |m| <= 1) and tail differences
  (1.75, 2.25, 0.0, 1.0), (1.7499, 2.2501, 0.0, 1.0), (-0.25, 0.25, 0.0, 1.0), (-0.2500001, 0.2500001, 0.0, 1.0),
  (3.9, 4.148, 0.0, 1.0), (3.9, 4.15, 0.0, 1.0), (-4.15, -3.9, 0.0, 1.0), (-30.02, -29.99, 0.0, 1.0), (29.99, 30.03, 0.0, 1.0),
]
out.append("    /// (lower, upper, mean, std, P(lower < X <= upper))")
out.append("    static let binMass: [(lower: Double, upper: Double, mean: Double, std: Double, mass: Double)] = [")
for (l, u, m, s) in bins:
    out.append(f"        ({lit(l)}, {lit(u)}, {lit(m)}, {lit(s)}, {lit(rnd(binmass(l, u, m, s)))}),")
out.append("    ]")
out.append("}")
open(sys.argv[1], 'w').write("\n".join(out) + "\n")

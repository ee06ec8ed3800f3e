# Generates Sources/Numerics/Tables.swift: every constant is derived here from
# mpmath at high precision and rounded once to the nearest double.
import mpmath as mp, numpy as np, sys
from fractions import Fraction
from exact import frac
mp.mp.dps = 60

def dbl(x):          # nearest double (Python float(Fraction) rounds correctly)
    return float(frac(x))
def dd(x):
    hi = dbl(x); lo = float(frac(x) - Fraction(hi)); return hi, lo
def hx(v):
    if v == 0: return "0.0"
    return v.hex().replace('+', '')
def round_to_multiple(x, e):   # nearest multiple of 2^-e, as exact Fraction
    f = frac(x) * 2**e
    n = round(f)
    return Fraction(n, 2**e)
def trunc_bits(x, bits):       # keep `bits` significant bits (toward zero)
    f = frac(x)
    e = 0
    a = abs(f)
    while a >= 2: a /= 2; e += 1
    while a < 1: a *= 2; e -= 1
    scale = Fraction(2)**(bits - 1 - e)
    n = int(f * scale)
    return Fraction(n) / scale

out = []
def emit(s=""): out.append(s)
def arr(name, vals, per=3, typ="Double"):
    emit(f"    static let {name}: [{typ}] = [")
    for i in range(0, len(vals), per):
        emit("        " + " ".join(v + "," for v in vals[i:i+per]))
    emit("    ]")

def cheb(f, a, b, deg):
    c, e = mp.chebyfit(f, [a, b], deg + 1, error=True)
    return [mp.mpf(x) for x in reversed(c)], e   # ascending

LN2 = mp.log(2)
report = []

# ---- exp: 2^(j/128) as double-double
N = 128
exp_hi, exp_lo = [], []
for j in range(N):
    h, l = dd(mp.mpf(2)**(mp.mpf(j)/N)); exp_hi.append(hx(h)); exp_lo.append(hx(l))
ln2N = LN2 / N
ln2N_hi = trunc_bits(ln2N, 34)
ln2N_lo = float(frac(ln2N) - ln2N_hi)
consts = {}
consts['expInvLn2N'] = dbl(N / LN2)
consts['expLn2NHi'] = float(ln2N_hi)
consts['expLn2NLo'] = ln2N_lo

# ---- narrow (Float) exp kernel: e^r on |r| <= ln2/2
L = LN2/2 * mp.mpf('1.002')
fc, fe = cheb(mp.exp, -L, L, 8)
fcd = [dbl(c) for c in fc]
worst = 0
for i in range(2001):
    r = -L + 2*L*i/2000
    p = sum(mp.mpf(c)*r**k for k, c in enumerate(fcd))
    worst = max(worst, abs(p/mp.exp(r) - 1))
report.append(f"float exp kernel deg 8 rel err {mp.nstr(worst,4)}")
consts['invLn2'] = dbl(1/LN2)

# ---- log table: c = m rounded to 8 significant bits, indexed by bits 45...52 of c
logInvC, logHi, logLo = [], [], []
import struct as _st
for i in range(256):
    bits = ((0x3FE + (i >> 7)) << 52) | ((i & 127) << 45)
    c = mp.mpf(_st.unpack('<d', _st.pack('<Q', bits))[0])
    logInvC.append(hx(dbl(1/c)))
    lc = mp.log(c)
    hi = round_to_multiple(lc, 42)
    logHi.append(hx(float(hi))); logLo.append(hx(float(frac(lc) - hi)))
ln2m42 = round_to_multiple(LN2, 42)
consts['logLn2Hi'] = float(ln2m42)
consts['logLn2Lo'] = float(frac(LN2) - ln2m42)

# ---- 2/pi bits, 64 per word, first word = bits 1..64 after the binary point
mp.mp.dps = 600
twoOverPi = 2 / mp.pi
W = 24
big = int(mp.floor(twoOverPi * mp.mpf(2)**(64*W)))
words = [(big >> (64*(W-1-i))) & (2**64-1) for i in range(W)]
mp.mp.dps = 60
PIO2 = mp.pi/2
p1 = trunc_bits(PIO2, 33)
p2 = trunc_bits(frac(PIO2) - p1, 33)
p3 = trunc_bits(frac(PIO2) - p1 - p2, 33)
p3t = float(frac(PIO2) - p1 - p2 - p3)
consts['pio2_1'] = float(p1); consts['pio2_2'] = float(p2); consts['pio2_3'] = float(p3); consts['pio2_3t'] = p3t
consts['pio2Hi'], consts['pio2Lo'] = dd(PIO2)
consts['invPio2'] = dbl(2/mp.pi)

# ---- sin / cos kernels
Z = (mp.pi/4)**2 * mp.mpf('1.01')
S = lambda z: (mp.sin(mp.sqrt(z)) - mp.sqrt(z))/(z*mp.sqrt(z)) if z > 0 else mp.mpf(-1)/6
C = lambda z: (mp.cos(mp.sqrt(z)) - 1 + z/2)/(z*z) if z > 0 else mp.mpf(1)/24
sc, se = cheb(S, 0, Z, 6); cc, ce = cheb(C, 0, Z, 5)
report.append(f"sin poly err*z {mp.nstr(se*Z,4)}, cos poly err*z^2 {mp.nstr(ce*Z*Z,4)}")

# ---- erf for |x| < 0.5: erf(x) = x + x*R(x^2)
R = lambda w: mp.erf(mp.sqrt(w))/mp.sqrt(w) - 1 if w > 0 else 2/mp.sqrt(mp.pi) - 1
rc, re_ = cheb(R, 0, mp.mpf('0.2501'), 9)
report.append(f"erf small R err {mp.nstr(re_,4)}")

# ---- erfcx on y = 2/(2+z) in [1/16, 13/16], 32 intervals of width 3/128, local t = y - mid
def erfcx(z): return mp.erfc(z)*mp.exp(z*z)
ERFCX_DEG = 7
M = 32; width = mp.mpf(3)/128; y0 = mp.mpf(1)/16
ecx = []
worst_fit = 0
for i in range(M):
    mid = y0 + (i + mp.mpf(1)/2)*width
    hw = width/2 * mp.mpf('1.03')
    f = lambda t: erfcx(2/(mid + t) - 2)
    co, e = cheb(f, -hw, hw, ERFCX_DEG)
    h, l = dd(co[0])
    cod = [h, l] + [dbl(c) for c in co[1:]]
    # check with rounded coefficients
    w = 0
    for k in range(81):
        t = -hw + 2*hw*k/80
        p = mp.mpf(cod[0]) + mp.mpf(cod[1]) + sum(mp.mpf(cod[j+1])*t**j for j in range(1, ERFCX_DEG+1))
        w = max(w, abs(p/f(t) - 1))
    worst_fit = max(worst_fit, w)
    ecx.extend(hx(v) for v in cod)
report.append(f"erfcx piecewise worst rel err (rounded coeffs) {mp.nstr(worst_fit,4)}")

# ---- Gauss-Legendre 7 points on [-1, 1]
n = 7
P = lambda x: mp.legendre(n, x)
glx, glw = [], []
for x0 in np.polynomial.legendre.leggauss(n)[0]:
    x = mp.findroot(P, mp.mpf(float(x0)))
    dP = mp.diff(P, x)
    glx.append(hx(dbl(x))); glw.append(hx(dbl(2/((1-x*x)*dP*dP))))

consts['invSqrt2Hi'], consts['invSqrt2Lo'] = dd(1/mp.sqrt(2))
consts['twoOverSqrtPi'] = dbl(2/mp.sqrt(mp.pi))
consts['invSqrtPi'] = dbl(1/mp.sqrt(mp.pi))
consts['invSqrt2Pi'] = dbl(1/mp.sqrt(2*mp.pi))
consts['ln2'] = dbl(LN2)

emit("// Constants for DetMath. Generated offline with mpmath (60+ significant digits) and")
emit("// rounded once to the nearest double; written as hexadecimal literals so that nothing")
emit("// depends on decimal-to-binary conversion. Polynomial coefficients are Chebyshev")
emit("// (near-minimax) fits; the comment above each group gives the function, interval,")
emit("// degree and the worst relative error measured with the rounded coefficients.")
emit("")
emit("enum Tables {")
emit("    // Scalars: exp reduction by ln2/128 (hi part has 34 bits so k*hi is exact),")
emit("    // ln2 with a 42-bit hi part (also used, written inline, by the Float fast paths),")
emit("    // pi/2 in 33-bit pieces for Cody-Waite, and pi/2, 1/sqrt(2) as double-doubles.")
for k, v in consts.items():
    emit(f"    static let {k}: Double = {hx(v)}")
emit("    // 2^(j/128) = expHi[j] + expLo[j]")
arr("expHi", exp_hi); arr("expLo", exp_lo)
emit("    // For i in 0..<256, c = 2^(i/128 - 1) (1 + (i % 128)/128), i.e. the double whose bits 45...52")
emit("    // are i, exponent 0x3FE + i/128 and other bits zero: 1/c, and log(c) = logHi + logLo with")
emit("    // logHi a multiple of 2^-42 so that k*ln2Hi + logHi is exact.")
arr("logInvC", logInvC); arr("logHi", logHi); arr("logLo", logLo)
emit("    // Bits of 2/pi after the binary point, 64 per word, most significant first.")
arr("twoOverPiBits", ["0x%016X" % w for w in words], per=3, typ="UInt64")
emit("    // sin(x) = x + x^3 * S(x^2) (degree 6), cos(x) = 1 - x^2/2 + x^4 * C(x^2) (degree 5),")
emit("    // fitted on x^2 in [0, 1.01 (pi/4)^2].")
for i, c in enumerate(sc): emit(f"    static let sin{i}: Double = {hx(dbl(c))}")
for i, c in enumerate(cc): emit(f"    static let cos{i}: Double = {hx(dbl(c))}")
emit("    // erf(x) = x + x * R(x^2) on |x| < 0.5, R of degree 9 in x^2.")
for i, c in enumerate(rc): emit(f"    static let erfR{i}: Double = {hx(dbl(c))}")
emit("    // erfcx(z) = erfc(z) exp(z^2) on y = 2/(2+z) in [1/16, 13/16], 32 intervals of")
emit("    // width 3/128 (fitted 3% wider so index rounding at the edges is harmless); per")
emit("    // interval: a0 (as hi, lo), a1...a7 in t = y - midpoint; worst relative error " + mp.nstr(worst_fit, 3) + ".")
arr("erfcxCoeffs", ecx, per=3)
emit("    // 7-point Gauss-Legendre rule on [-1, 1]")
arr("glNodes", glx); arr("glWeights", glw)
emit("    // exp(r) on |r| <= 1.002 ln2/2, degree 8, relative error " + mp.nstr(worst, 3) + ": used by the Float")
emit("    // fast paths, where these values are written inline so they stay @inlinable:")
emit("    // " + ", ".join(hx(c) for c in fcd))
emit("}")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
print("\n".join(report))
print("float kernel coeffs:", [hx(c) for c in fcd])
print("2/pi words:", ["%016X" % w for w in words[:4]])

"""The exact rational value of an mpmath number, shared by the generators here: each constant is rounded to a
double once, by float(Fraction), which rounds correctly (subnormals included)."""
from fractions import Fraction

import mpmath as mp


def frac(x):
    """x (an mpmath number, float or Fraction; finite) as an exact Fraction."""
    if isinstance(x, Fraction):
        return x
    sign, man, exp, _ = mp.mpf(x)._mpf_
    man = -int(man) if sign else int(man)
    return Fraction(man) * (Fraction(2)**exp if exp >= 0 else Fraction(1, 2**(-exp)))

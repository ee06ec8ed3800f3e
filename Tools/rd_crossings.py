"""Where a `ddpmc rd` curve stands against classical codecs: for each codec, our x̂0 RMSE and the codec's
(interpolated on its Pareto front) at the same rates, and the rate above which the codec is better.

    python3 Tools/rd_crossings.py OUT/rd.csv Tools/results/baselines-fmnist200-lossy.csv
"""
import csv
import sys

import numpy as np


def pareto(points):
    points = sorted(points)
    front, best = [], float("inf")
    for r, d in points:
        if d < best:
            front.append((r, d))
            best = d
    return front


def main():
    ours = [r for r in csv.DictReader(open(sys.argv[1])) if r["image"] == "ALL" and r["reconstruction"] == "xhat"]
    ours = sorted((float(r["rate_actual_bpd"]), float(r["rmse"]), int(r["step"])) for r in ours)
    classical = {}
    for r in csv.DictReader(open(sys.argv[2])):
        classical.setdefault(r["codec"], []).append((float(r["bits_per_dim"]), float(r["rmse"])))
    rates = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0]
    our_r = np.array([o[0] for o in ours])
    our_d = np.array([o[1] for o in ours])
    print("| rate bits/dim | ddpmc x̂0 RMSE | " + " | ".join(classical) + " |")
    print("|---" * (2 + len(classical)) + "|")
    for rate in rates:
        if rate > our_r.max():
            continue
        cells = [f"{np.interp(rate, our_r, our_d):.2f}"]
        for codec, pts in classical.items():
            f = pareto(pts)
            fr = np.array([p[0] for p in f])
            fd = np.array([p[1] for p in f])
            cells.append(f"{np.interp(rate, fr, fd):.2f}" if fr.min() <= rate <= fr.max() else "—")
        print(f"| {rate} | " + " | ".join(cells) + " |")
    for codec, pts in classical.items():
        f = pareto(pts)
        fr = np.array([p[0] for p in f])
        fd = np.array([p[1] for p in f])
        grid = np.linspace(max(fr.min(), our_r.min()), min(fr.max(), our_r.max()), 2000)
        if len(grid) == 0 or grid[0] >= grid[-1]:
            print(f"{codec}: no overlapping rates")
            continue
        diff = np.interp(grid, our_r, our_d) - np.interp(grid, fr, fd)
        better = grid[diff > 0]
        print(f"{codec}: ours lower RMSE over {grid[0]:.3f}..{grid[-1]:.3f} bits/dim" if len(better) == 0 else
              f"{codec}: classical better from {better.min():.3f} bits/dim (overlap {grid[0]:.3f}..{grid[-1]:.3f})")


if __name__ == "__main__":
    main()

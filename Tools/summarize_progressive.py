"""Summarize Tools/bench_progressive.sh output as the markdown tables of docs/BENCHMARKS.md.

    python3 Tools/summarize_progressive.py OUT 8 12 16
"""
import csv
import json
import os
import sys


def rows(path):
    with open(path) as f:
        return [r for r in csv.DictReader(f) if r["image"] == "ALL"]


def main():
    out, budgets = sys.argv[1], sys.argv[2:]
    print("| chunk budget | encode s | steps | actual / theoretical at t = " + ", ".join(["75", "50", "25", "10", "1"]) + " |")
    print("|---|---|---|---|")
    for b in budgets:
        d = os.path.join(out, f"budget{b}")
        rs = [r for r in rows(os.path.join(d, "rd.csv")) if r["reconstruction"] == "xhat"]
        by = {int(r["step"]): r for r in rs}
        k = max(by)
        with open(os.path.join(d, "rd.json")) as f:
            enc = json.load(f)["results"]["encoding_time"]
        cells = []
        for t in (k * 3 // 4, k // 2, k // 4, max(1, k // 10), 1):
            r = by.get(t)
            if r:
                a, th = float(r["rate_actual_bpd"]), float(r["rate_theoretical_bpd"])
                cells.append(f"{a:.3f} / {th:.3f} = {a / th:.2f}")
        print(f"| {b} | {enc:.0f} | {k} | " + "; ".join(cells) + " |")
    print()
    print("| step | rate actual | rate theoretical | RMSE x̂0 | PSNR x̂0 | RMSE sample | RMSE ddim |")
    print("|---|---|---|---|---|---|---|")
    mid = os.environ.get("DEFAULT", "12")
    rs = rows(os.path.join(out, f"budget{mid}", "rd.csv"))
    table = {}
    for r in rs:
        table.setdefault(int(r["step"]), {})[r["reconstruction"]] = r
    for t in sorted(table, reverse=True):
        e = table[t]
        x = e.get("xhat")
        if not x or (t % 10 and t > 10 and "sample" not in e):
            continue
        s = e.get("sample", {}).get("rmse", "")
        dd = e.get("ddim", {}).get("rmse", "")
        print(f"| {t} | {float(x['rate_actual_bpd']):.4f} | {float(x['rate_theoretical_bpd']):.4f} | {float(x['rmse']):.2f} | "
              f"{float(x['psnr']):.2f} | {s} | {dd} |")
    for name in ("encode", "decode", "decode-half"):
        p = os.path.join(out, f"{name}.time")
        if os.path.exists(p):
            with open(p) as f:
                print(f"{name}: {f.read().strip()} s")
    for name in ("encode", "decode-half"):
        p = os.path.join(out, f"{name}.json")
        if os.path.exists(p):
            with open(p) as f:
                print(name, f.read().strip())


if __name__ == "__main__":
    main()

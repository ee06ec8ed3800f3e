"""Summarizes the JSON written by Tools/bench_lossless.sh as a Markdown table."""
import json, os, sys

out = sys.argv[1]
def load(name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)

e, b = load("encode.json"), load("bound.json")
enc_t = float(open(os.path.join(out, "encode.time")).read().split()[-1])
dec_t = float(open(os.path.join(out, "decode.time")).read().split()[-1])
n, dims = e["images"], e["dims"]
ideal = e["ideal_bits_per_dim"]
print(open(os.path.join(out, "machine.txt")).read())
print(f"| quantity ({n} images, {dims} dims) | value |\n|---|---|")
print(f"| analytic bound (`ddpmc bound`), mean ± s.e. | {b['mean_bits_per_dim']:.4f} ± {b['stderr']:.4f} bits/dim |")
print(f"| ideal −log2 of the masses coded | {ideal:.4f} bits/dim |")
print(f"| payload net of initial bits | {e['payload_net_bits_per_dim']:.4f} bits/dim ({100 * (e['payload_net_bits_per_dim'] / b['mean_bits_per_dim'] - 1):+.2f}% vs bound) |")
print(f"| coder overhead (payload − initial − ideal) | {e['coder_overhead_bits']:.0f} bits ({100 * e['coder_overhead_bits'] / (ideal * dims):.4f}%) |")
print(f"| file, net of initial bits (header included) | {e['net_bits_per_dim']:.4f} bits/dim |")
print(f"| file, total | {e['bits_per_dim']:.4f} bits/dim |")
print(f"| initial bits | {e['initial_bits']:.0f} bits ({e['initial_bits'] / dims:.2f} bits/dim of this archive) |")
print(f"| encode | {enc_t:.0f} s ({enc_t / n:.2f} s/image; network {e['network_seconds']:.0f} s, coder {e['coding_seconds']:.1f} s = {100 * e['coding_seconds'] / (e['network_seconds'] + e['coding_seconds']):.1f}%) |")
print(f"| decode | {dec_t:.0f} s ({dec_t / n:.2f} s/image) |")
singles = [load(f"single{i}.json") for i in (1, 2, 3) if os.path.exists(os.path.join(out, f"single{i}.json"))]
if singles:
    print("\nSingle images (each pays its own initial bits):\n\n| image | total bits/dim | net bits/dim | initial bits |\n|---|---|---|---|")
    for i, s in enumerate(singles, 1):
        print(f"| test[{i - 1}] | {s['bits_per_dim']:.3f} | {s['net_bits_per_dim']:.3f} | {s['initial_bits']:.0f} |")
sweep = sorted(f for f in os.listdir(out) if f.startswith("sweep") and f.endswith(".json") and f[5:-5].isdigit())
if sweep:
    sb = load("sweep-bound.json")
    print(f"\nGrid sweep (respaced chain, bound {sb['mean_bits_per_dim']:.4f} bits/dim on the same images):\n")
    print("| grid bits (δ = σ/2^b) | payload net bits/dim | vs bound | initial bits/dim of one group |\n|---|---|---|---|")
    for f in sorted(sweep, key=lambda s: int(s[5:-5])):
        s = load(f)
        print(f"| {f[5:-5]} | {s['payload_net_bits_per_dim']:.4f} | {100 * (s['payload_net_bits_per_dim'] / sb['mean_bits_per_dim'] - 1):+.2f}% | {s['initial_bits'] / min(s['dims'], 32 * 784):.2f} |")

#!/usr/bin/env bash
# SGEMM ratio table, cortado cpu vs OpenBLAS. Each (n, threads) cell is one short JMH run with both
# backends back to back (one fork each), and the cells are run round after round, so that a shared
# machine that speeds up or slows down over minutes moves both sides of a ratio together. Prints
# each round's ratio (OpenBLAS time / cortado time: above 1 means cortado is faster) and their median.
# Run from the repository root after `mvn -B -q install -DskipTests`. Usage: gemm-vs-openblas.sh [rounds]
# Results (JMH JSON per run and the table): benchmarks/target/gemm-pairs/.
set -euo pipefail
rounds=${1:-5}
out=benchmarks/target/gemm-pairs
rm -rf "$out" && mkdir -p "$out"
for r in $(seq "$rounds"); do
  for n in 256 1024 2048; do
    for t in 1 2; do
      java -jar benchmarks/target/benchmarks.jar GemmBenchmark -p backend=cpu,openblas -p n=$n -p threads=$t \
        -f 1 -wi 2 -i 3 -rf json -rff "$out/gemm-$n-$t-$r.json" > "$out/gemm-$n-$t-$r.txt"
    done
  done
  echo "round $r of $rounds done"
done
python3 - "$out" <<'EOF' | tee "$out/table.txt"
import glob, json, re, statistics, sys
cells = {}
for f in sorted(glob.glob(sys.argv[1] + "/gemm-*.json")):
    n, t, r = map(int, re.search(r"gemm-(\d+)-(\d+)-(\d+)\.json", f).groups())
    ms = {b["params"]["backend"]: b["primaryMetric"]["score"] for b in json.load(open(f))}
    cells.setdefault((n, t), []).append((r, ms["cpu"], ms["openblas"]))
print("   n  threads  cortado GFLOPS  OpenBLAS GFLOPS  ratio (median)  ratio per round")
for (n, t), runs in sorted(cells.items()):
    runs.sort()
    gf = lambda ms: 2.0 * n ** 3 / (ms * 1e6)
    ratios = [ob / cpu for _, cpu, ob in runs]
    print("%4d  %7d  %14.0f  %15.0f  %14.2f  %s" % (n, t, statistics.median(gf(c) for _, c, _ in runs),
          statistics.median(gf(o) for _, _, o in runs), statistics.median(ratios),
          " ".join("%.2f" % x for x in ratios)))
EOF

#!/usr/bin/env bash
# Issue 21's workloads, Cortado beside PyTorch in one JMH run per round: GptTrainBenchmark,
# GptInferenceBenchmark, ResNetTrainBenchmark and ResNetInferenceBenchmark with -p engine=cortado,pytorch
# (PyTorch through benchmarks/torch_worker.py and /usr/bin/python3: apt-get install python3-torch).
# Rounds run one after the other, so that a shared machine's drift moves both sides of a ratio together.
# Prints per benchmark each round's throughput on both sides and the ratio (Cortado / PyTorch: above 1 =
# Cortado faster), with the median ratio. Run from the repository root after `mvn -B -q install -DskipTests`.
# Usage: workloads-vs-pytorch.sh [rounds] [threads]. Results: benchmarks/target/workload-pairs/.
set -euo pipefail
rounds=${1:-3}
threads=${2:-2}
out=benchmarks/target/workload-pairs
rm -rf "$out" && mkdir -p "$out"
for r in $(seq "$rounds"); do
  java -jar benchmarks/target/benchmarks.jar "GptTrainBenchmark|GptInferenceBenchmark|ResNetTrainBenchmark|ResNetInferenceBenchmark" \
    -p engine=cortado,pytorch -p threads="$threads" -rf json -rff "$out/round-$r.json" > "$out/round-$r.txt"
  echo "round $r of $rounds done"
done
python3 - "$out" <<'PY' | tee "$out/table.txt"
import glob, json, re, statistics, sys
per = {"GptTrainBenchmark": (32 * 64, "tokens/s"), "GptInferenceBenchmark": (64 * 64, "tokens/s"),
       "ResNetTrainBenchmark": (128, "images/s"), "ResNetInferenceBenchmark": (500, "images/s")}
cells = {}
for f in sorted(glob.glob(sys.argv[1] + "/round-*.json")):
    for b in json.load(open(f)):
        name = b["benchmark"].split(".")[-2]
        cells.setdefault(name, {}).setdefault(b["params"]["engine"], []).append(b["primaryMetric"]["score"])
print("%-26s %-9s %-28s %-28s %s" % ("benchmark", "unit", "Cortado per round", "PyTorch per round", "ratio per round (median)"))
for name, (items, unit) in per.items():
    if name not in cells: continue
    c, p = cells[name].get("cortado", []), cells[name].get("pytorch", [])
    rate = lambda ms: items / (ms / 1000.0)
    ratios = [pt / ct for ct, pt in zip(c, p)]
    print("%-26s %-9s %-28s %-28s %s (%s)" % (name, unit, " ".join("%.0f" % rate(x) for x in c), " ".join("%.0f" % rate(x) for x in p),
          " ".join("%.2f" % x for x in ratios), "%.2f" % statistics.median(ratios) if ratios else "-"))
PY

#!/usr/bin/env bash
# Issue 21's workloads, Cortado beside PyTorch in one JMH run per round: GptTrainBenchmark,
# GptInferenceBenchmark, ResNetTrainBenchmark and ResNetInferenceBenchmark with -p engine=cortado,pytorch
# (PyTorch through benchmarks/torch_worker.py and /usr/bin/python3: apt-get install python3-torch).
# Rounds run one after the other, so that a shared machine's drift moves both sides of a ratio together.
# Prints per benchmark each round's throughput on both sides and the ratio (Cortado / PyTorch: above 1 =
# Cortado faster), with the median ratio. Run from the repository root after `mvn -B -q install -DskipTests`.
# With engines cortado,pytorch,libtorch (a benchmarks.jar built with -Ppytorch) libtorch 2.10 runs in the
# same JMH run too, and each round's ratio is taken against the stronger of the two anchors (a round where
# one side's trial failed gets no ratio).
# Usage: workloads-vs-pytorch.sh [rounds] [threads] [engines]. Results: benchmarks/target/workload-pairs/.
set -euo pipefail
rounds=${1:-3}
threads=${2:-2}
engines=${3:-cortado,pytorch}
out=benchmarks/target/workload-pairs
rm -rf "$out" && mkdir -p "$out"
for r in $(seq "$rounds"); do
  java -jar benchmarks/target/benchmarks.jar "GptTrainBenchmark|GptInferenceBenchmark|ResNetTrainBenchmark|ResNetInferenceBenchmark" \
    -p engine="$engines" -p threads="$threads" -rf json -rff "$out/round-$r.json" > "$out/round-$r.txt"
  echo "round $r of $rounds done"
done
python3 - "$out" <<'PY' | tee "$out/table.txt"
import glob, json, re, statistics, sys
per = {"GptTrainBenchmark": (32 * 64, "tokens/s"), "GptInferenceBenchmark": (64 * 64, "tokens/s"),
       "ResNetTrainBenchmark": (128, "images/s"), "ResNetInferenceBenchmark": (500, "images/s")}
cells = {}  # benchmark -> engine -> round -> ms/op (a round's cell is missing where its trial failed)
rounds = sorted(glob.glob(sys.argv[1] + "/round-*.json"))
for r, f in enumerate(rounds):
    for b in json.load(open(f)):
        name = b["benchmark"].split(".")[-2]
        cells.setdefault(name, {}).setdefault(b["params"]["engine"], {})[r] = b["primaryMetric"]["score"]
anchors = [e for e in ("pytorch", "libtorch") if any(e in c for c in cells.values())]
label = {"cortado": "Cortado", "pytorch": "PyTorch 1.13", "libtorch": "libtorch 2.10"}
print("%-26s %-9s " % ("benchmark", "unit") + " ".join("%-24s" % (label[e] + " per round") for e in ["cortado"] + anchors)
      + " Cortado / stronger anchor per round (median)")
for name, (items, unit) in per.items():
    if name not in cells: continue
    cell = lambda e, r: cells[name].get(e, {}).get(r)
    shown = lambda e: " ".join("%.0f" % (items / (cell(e, r) / 1000.0)) if cell(e, r) else "-" for r in range(len(rounds)))
    ratios = [min(cell(e, r) for e in anchors if cell(e, r)) / cell("cortado", r) for r in range(len(rounds))
              if cell("cortado", r) and all(cell(e, r) for e in anchors)]
    print("%-26s %-9s " % (name, unit) + " ".join("%-24s" % shown(e) for e in ["cortado"] + anchors)
          + " %s (%s)" % (" ".join("%.2f" % x for x in ratios), "%.2f" % statistics.median(ratios) if ratios else "-"))
PY

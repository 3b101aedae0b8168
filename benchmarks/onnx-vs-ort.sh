#!/usr/bin/env bash
# Issue 22's models imported from ONNX, Cortado beside ONNX Runtime Java, in one JMH run per round
# (OnnxModelsBenchmark, -p engine=cortado,onnxruntime,paired; ONNX Runtime's intra-op threads = ours). Prints per
# model each round's milliseconds on both sides and the ratio (ONNX Runtime time / Cortado time: above 1 =
# Cortado faster), with the median: first each engine in its own JMH runs, then paired (both engines' calls
# alternated in one loop, each timed: the ratio of engines that met the same machine speed). Run from the repository root after `mvn -B -q install -DskipTests` and
# `/usr/bin/python3 benchmarks/onnx/make_models.py` (torch 1.13 + torchvision: the model files).
# Usage: onnx-vs-ort.sh [rounds] [threads]. Results: benchmarks/target/onnx-pairs/.
set -euo pipefail
rounds=${1:-3}
threads=${2:-2}
out=benchmarks/target/onnx-pairs
rm -rf "$out" && mkdir -p "$out"
for r in $(seq "$rounds"); do
  java -jar benchmarks/target/benchmarks.jar OnnxModelsBenchmark -p engine=cortado,onnxruntime,paired -p threads="$threads" \
    -rf json -rff "$out/round-$r.json" > "$out/round-$r.txt"
  echo "round $r of $rounds done"
done
python3 - "$out" <<'PY' | tee "$out/table.txt"
import glob, json, statistics, sys
cells, paired = {}, {}
for f in sorted(glob.glob(sys.argv[1] + "/round-*.json")):
    for b in json.load(open(f)):
        model, engine = b["params"]["model"], b["params"]["engine"]
        if engine == "paired":  # the counters: each engine's milliseconds per call in the same loop
            m = b["secondaryMetrics"]
            calls = m["calls"]["score"]
            for side, key in (("cortado", "cortadoNs"), ("onnxruntime", "ortNs")):
                paired.setdefault(model, {}).setdefault(side, []).append(m[key]["score"] / calls / 1e6)
        else:
            cells.setdefault(model, {}).setdefault(engine, []).append(b["primaryMetric"]["score"])
for title, table in (("each engine in its own runs", cells), ("paired in one loop", paired)):
  print(title)
  print("%-14s %-24s %-24s %s" % ("model", "Cortado ms per round", "ONNX Runtime ms per round", "ratio per round (median)"))
  for model, sides in table.items():
    c, o = sides.get("cortado", []), sides.get("onnxruntime", [])
    ratios = [ot / ct for ct, ot in zip(c, o)]
    print("%-14s %-24s %-24s %s (%s)" % (model, " ".join("%.1f" % x for x in c), " ".join("%.1f" % x for x in o),
          " ".join("%.2f" % x for x in ratios), "%.2f" % statistics.median(ratios) if ratios else "-"))
PY

#!/usr/bin/env bash
# SGEMM ratio table, cortado cpu vs OpenBLAS: each (n, threads) cell is one JMH run with both
# backends back to back, so that a shared machine that speeds up or slows down over minutes
# biases the ratio less than one long run that does all cpu cells, then all OpenBLAS cells.
# Run from the repository root after `mvn -B -q install -DskipTests`. Results: target/gemm-pairs/.
set -euo pipefail
out=benchmarks/target/gemm-pairs
mkdir -p "$out"
for n in 256 1024 2048; do
  for t in 1 2; do
    java -jar benchmarks/target/benchmarks.jar GemmBenchmark -p backend=cpu,openblas -p n=$n -p threads=$t \
      -f 2 -wi 3 -i 5 -rf json -rff "$out/gemm-$n-$t.json" > "$out/gemm-$n-$t.txt"
    grep '^GemmBenchmark' "$out/gemm-$n-$t.txt"
  done
done

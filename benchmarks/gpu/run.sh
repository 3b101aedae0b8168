#!/usr/bin/env bash
# The GPU bundle's one script (built by benchmarks/gpu/build-bundle.sh). Usage: ./run.sh <out-dir>
# On a machine with a GPU, in under 8 minutes: nvidia-smi facts; the kernel conformance suite on the
# real cuda kernels, then again under compute-sanitizer (memcheck, racecheck); the numbered SGEMM
# versions of native/cuda/dev (built there with nvcc, checked and timed); GEMM against cuBLAS
# (torch.mm, TF32 off) at n = 1024, 4096, 8192; LeNet training and inference on cuda at batch 64,
# 512 and 1000 beside PyTorch eager on the same GPU, and on the cpu backend on all cores beside
# PyTorch's CPU; the report's markdown table from all the JSON, printed last (its PNG chart is drawn
# from the same JSON with a full JDK: this runtime has no java.desktop).
# Without a GPU it prints "no GPU: <reason>", runs the CPU parts and exits 0.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath -m "${1:?usage: run.sh <out-dir>}")
mkdir -p "$OUT"
JAVA="$HERE/runtime/bin/java"
CP="$HERE/lib/*"
JMH=(-f 1 -wi 2 -w 1 -i 3 -r 1 -rf json)
log() { echo "== $*" | tee -a "$OUT/run.log"; }
status=0

gpu=1
if ! command -v nvidia-smi >/dev/null 2>&1; then gpu=0; reason="nvidia-smi not found"
elif ! nvidia-smi -L > "$OUT/gpus.txt" 2>&1 || ! grep -q GPU "$OUT/gpus.txt"; then gpu=0; reason=$(head -1 "$OUT/gpus.txt")
fi
if [ $gpu = 1 ]; then
  log "GPU"; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee -a "$OUT/run.log"
  log "conformance suite on cuda"
  timeout 150 "$JAVA" -cp "$CP" -Dcortado.conformance.targets=cuda dev.cortado.benchmarks.gpu.SuiteRunner '.*ConformanceTest' '.*CudaEngineTest' \
    > "$OUT/conformance.log" 2>&1 || status=1
  tail -15 "$OUT/conformance.log" | tee -a "$OUT/run.log"
  for tool in memcheck racecheck; do
    log "compute-sanitizer $tool (the layer and tensor kernels, a tenth of the cases)"
    timeout 120 compute-sanitizer --tool $tool --target-processes all --error-exitcode 9 \
      "$JAVA" -cp "$CP" -Dcortado.conformance.targets=cuda -Dcortado.conformance.divisor=10 dev.cortado.benchmarks.gpu.SuiteRunner '.*LayerKernelsConformanceTest' '.*TensorKernelsConformanceTest' \
      > "$OUT/sanitizer-$tool.log" 2>&1 || status=1
    grep -E "ERROR SUMMARY|Tests (successful|failed)" "$OUT/sanitizer-$tool.log" | tee -a "$OUT/run.log"
  done
  log "SGEMM versions of native/cuda/dev (nvcc here), 4096^3"
  if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then
    timeout 120 make -s -C "$HERE/native/cuda/dev" gpu OUT="$OUT/dev" GEN="$HERE/native/generated" > "$OUT/sgemm-dev-build.log" 2>&1 \
      && timeout 60 "$OUT/dev/sgemm" 0 4096 4096 4096 2>&1 | tee "$OUT/sgemm-dev.log" | tee -a "$OUT/run.log" || status=1
  else
    echo "no nvcc here: the dev versions are not built" | tee -a "$OUT/run.log"
  fi
  log "GEMM on cuda"
  timeout 90 "$JAVA" -cp "$CP" org.openjdk.jmh.Main GemmBenchmark -p backend=cuda -p n=1024,4096,8192 -p threads=1 "${JMH[@]}" -rff "$OUT/gemm-cuda.json" > "$OUT/gemm-cuda.log" 2>&1 || status=1
  log "LeNet on cuda"
  timeout 120 "$JAVA" -cp "$CP" org.openjdk.jmh.Main 'LeNet(Train|Inference)Benchmark' -p backend=cuda -p batch=64,512,1000 -p threads=1 "${JMH[@]}" -rff "$OUT/lenet-cuda.json" > "$OUT/lenet-cuda.log" 2>&1 || status=1
else
  echo "no GPU: $reason" | tee -a "$OUT/run.log"
fi
cores=$(nproc)
log "LeNet on the cpu backend, $cores threads"
timeout 120 "$JAVA" -cp "$CP" org.openjdk.jmh.Main 'LeNet(Train|Inference)Benchmark' -p backend=cpu -p batch=64,512,1000 -p threads=$cores "${JMH[@]}" -rff "$OUT/lenet-cpu.json" > "$OUT/lenet-cpu.log" 2>&1 || status=1
log "PyTorch anchors"
if python3 -c "import torch" 2>/dev/null; then
  timeout 120 python3 "$HERE/torch_anchors.py" "$OUT/torch.json" 2 2>&1 | tee -a "$OUT/run.log" || status=1
else
  echo "no PyTorch here: anchors skipped" | tee -a "$OUT/run.log"
fi
machine=$( [ $gpu = 1 ] && nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr ' ' '-' || hostname )
args=()
for f in "$OUT"/gemm-cuda.json "$OUT"/lenet-cuda.json "$OUT"/lenet-cpu.json "$OUT"/torch.json; do [ -s "$f" ] && args+=("$machine=$f"); done
log "report"
"$JAVA" -cp "$CP" dev.cortado.benchmarks.report.BenchReport "$OUT" "${args[@]}" > "$OUT/report.log" 2>&1 || status=1
grep -h "not drawn" "$OUT/report.log" | tee -a "$OUT/run.log"
cat "$OUT/report.md" 2>/dev/null || tail -5 "$OUT/report.log"
[ $gpu = 0 ] && exit 0
exit $status

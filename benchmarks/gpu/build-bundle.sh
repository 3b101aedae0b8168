#!/usr/bin/env bash
# Builds the GPU bundle: one self-contained folder (at most 60 MiB) for a GPU machine that has the
# NVIDIA driver and Python with PyTorch but no Java, Maven or network: a jlink runtime, the jars
# (cortado-core, cortado-cuda with both its native libraries, the test jars with the conformance
# suite, the benchmarks), and run.sh. Usage: bash benchmarks/gpu/build-bundle.sh [out-dir]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$(realpath -m "${1:-target/gpu-bundle}")
mvn -B -q install -DskipTests
rm -rf "$OUT"
mkdir -p "$OUT/lib"
# (no java.desktop: the report's PNG is drawn where a full JDK is, from the JSON the run writes)
jlink --add-modules java.base,java.management,jdk.unsupported,java.logging \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output "$OUT/runtime"
# the benchmarks' runtime class path, without the CPU anchors' large natives (OpenBLAS, libtorch)
mvn -B -q -pl benchmarks dependency:copy-dependencies -DincludeScope=runtime \
  -DexcludeArtifactIds=openblas,pytorch,pdfbox,pdfbox-io,fontbox,VectorGraphics2D,graphics2d,animated-gif-lib \
  -DoutputDirectory="$OUT/lib"
cp benchmarks/target/cortado-benchmarks-*.jar "$OUT/lib/"
cp java/target/cortado-core-*-tests.jar java/cuda/target/cortado-cuda-*-tests.jar "$OUT/lib/"
mvn -B -q -pl java dependency:copy-dependencies -DincludeScope=test -DincludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian \
  -DoutputDirectory="$OUT/lib"
cp benchmarks/gpu/run.sh benchmarks/gpu/torch_anchors.py "$OUT/"
# the CUDA sources and the generated ABI header, for the numbered SGEMM versions (native/cuda/dev) built there by nvcc
mkdir -p "$OUT/native"
cp -r native/cuda native/common "$OUT/native/"
rm -rf "$OUT/native/cuda/wip"
cp -r java/target/generated-sources/native "$OUT/native/generated"
git rev-parse --short HEAD > "$OUT/COMMIT" 2>/dev/null || true
du -sh "$OUT"
size=$(du -sm "$OUT" | cut -f1)
if [ "$size" -gt 60 ]; then echo "bundle is $size MiB, over the 60 MiB limit" >&2; exit 1; fi

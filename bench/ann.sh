#!/bin/bash
# Runs the vector-search benchmark on one make_dataset.py dataset: native hnswlib, the Debian peers
# (hnswlib, FAISS HNSW, FAISS flat) and our indexes, then prints one table of ratios and draws
# recall@10 against QPS (recall_qps.png beside the results).
# usage: bench/ann.sh [N=100000] [DIM=128] [METRIC=l2]
# environment: PEERS (peer scripts, default ../shared/bench beside the repository), WORK (datasets and
# results, default ${TMPDIR:-/tmp}/vexfs-ann), M, EFC, EFS, THREADS, BUILD_THREADS, K; DATA, a dataset
# directory made elsewhere (such as `VexFs.Bench embed`), instead of a make_dataset.py one
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
n=${1:-100000} dim=${2:-128} metric=${3:-l2}
peers=${PEERS:-$repo/../shared/bench}
work=${WORK:-${TMPDIR:-/tmp}/vexfs-ann}
M=${M:-16} EFC=${EFC:-200} EFS=${EFS:-10,16,32,64,128,256} THREADS=${THREADS:-1} BUILD_THREADS=${BUILD_THREADS:-1} K=${K:-10}
py=/usr/bin/python3
data=${DATA:-$work/${metric}_${n}x${dim}}
out=$work/results_$(basename "$data")_M${M}_efc${EFC}_t${THREADS}_bt${BUILD_THREADS}
mkdir -p "$out"
"$py" -c "import faiss, hnswlib, numpy" 2>/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-numpy python3-faiss python3-hnswlib libhnswlib-dev g++ >/dev/null
}

[ -f "$data/groundtruth.ivecs" ] || "$py" "$peers/make_dataset.py" "$data" --n "$n" --dim "$dim" --metric "$metric"
dotnet build -c Release "$repo/bench/VexFs.Bench" -v quiet -nologo >&2
bench=$repo/bench/VexFs.Bench/bin/Release/net10.0/VexFs.Bench

"$peers/hnswlib_native.sh" "$data" "$out/native.json" "$M" "$EFC" "$EFS" "$BUILD_THREADS" "$K"
"$py" "$peers/ann_peers.py" "$data" --out "$out/peers.json" --M "$M" --efc "$EFC" --ef "$EFS" \
  --threads "$THREADS" --build-threads "$BUILD_THREADS" --k "$K"
"$bench" ann "$data" --out "$out/ours.json" --M "$M" --efc "$EFC" --ef "$EFS" \
  --threads "$THREADS" --build-threads "$BUILD_THREADS" --k "$K"
"$py" "$here/ann/table.py" "$out/native.json" "$out/peers.json" "$out/ours.json" | tee "$out/table.txt"
"$bench" ann plot "$out/recall_qps.png" "$out/native.json" "$out/peers.json" "$out/ours.json"

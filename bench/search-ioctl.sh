#!/usr/bin/env bash
# The latency of one top-k search through the mount's search ioctl beside the same search through the library,
# in one run: an image with FILES files carrying random DIM-dimensional L2 vectors (space "emb"), searched over
# the whole tree with QUERIES random queries (k 10, the space's own ef) first by the library on the unmounted
# image, then through mount.vexfs as vexctl searches (open the directory, one ioctl, close), the hits left
# unnamed. Prints median, mean and p99 in microseconds and the ratio ioctl / library. Needs root (mount).
# usage: bench/search-ioctl.sh   environment: FILES (20000), DIM (128), QUERIES (2000), BENCH_DIR
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
files=${FILES:-20000} dim=${DIM:-128} queries=${QUERIES:-2000}
[ "$(id -u)" = 0 ] || { echo "search-ioctl.sh: needs root (mount)" >&2; exit 2; }
for project in samples/mkfs.vexfs samples/mount.vexfs samples/vexctl bench/VexFs.Bench; do
  dotnet build -c Release "$repo/$project" -v quiet -nologo >&2
done
tool() { local name=$1; shift; dotnet "$repo/samples/$name/bin/Release/net10.0/$name.dll" "$@"; }
bench() { dotnet "$repo/bench/VexFs.Bench/bin/Release/net10.0/VexFs.Bench.dll" "$@"; }

work=$(mktemp -d -p "${BENCH_DIR:-${TMPDIR:-/tmp}}" .bench-ioctl.XXXXXX)
cleanup() { mountpoint -q "$work/mnt" && { umount "$work/mnt" || umount -l "$work/mnt"; }; rm -rf "$work"; }
trap cleanup EXIT

python3 - "$work" "$files" "$dim" <<'PY'
import random, struct, sys
work, files, dim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(7)
with open(f"{work}/vectors.fvecs", "wb") as out, open(f"{work}/paths.txt", "w") as paths:
    for i in range(files):
        out.write(struct.pack("<i%df" % dim, dim, *(rng.random() for _ in range(dim))))
        paths.write(f"/v/d{i // 1000}/f{i}\n")
PY
truncate -s 2G "$work/image"
tool mkfs.vexfs -q -F "$work/image"
tool vexctl --device "$work/image" space create emb "$dim" l2 >/dev/null
tool vexctl --device "$work/image" import --space emb "$work/vectors.fvecs" "$work/paths.txt" --create >/dev/null 2>&1

library=$(bench search-latency --image "$work/image" --space emb --dimension "$dim" --queries "$queries")
mkdir "$work/mnt"
tool mount.vexfs "$work/image" "$work/mnt"
ioctl=$(bench search-latency --mounted "$work/mnt" --space emb --dimension "$dim" --queries "$queries")

field() { awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' <<<"$1"; }
printf 'search of %s files x %s dims (L2, k 10), %s queries   %10s %10s %10s\n' "$files" "$dim" "$queries" "median us" "mean us" "p99 us"
for side in library ioctl; do
  line=${!side}
  printf '%-62s %10s %10s %10s\n' "$side" "$(field "$line" median_us)" "$(field "$line" mean_us)" "$(field "$line" p99_us)"
done
printf '%-62s %10s\n' "ioctl / library (median)" "$(awk -v a="$(field "$ioctl" median_us)" -v b="$(field "$library" median_us)" 'BEGIN { printf "%.2fx", a / b }')"

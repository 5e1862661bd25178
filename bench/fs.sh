#!/usr/bin/env bash
# File workloads on VexFS (the library on an image file) and on ext4 (the kernel, on a loop device over an
# image of the same size), in one run: streaming I/O (fio on ext4), metadata (the same small program on
# both), peak memory; fio on a plain file beside the images shows the ceiling for both. Prints a table of
# ratios and saves it with the JSON beside it. Needs root.
# usage: bench/fs.sh [SIZE=2G]
# environment: OUT (results, default ${TMPDIR:-/tmp}/vexfs-fs), BENCH_DIR (where the images go, default
# ${TMPDIR:-/tmp}), STREAM_SIZE (1G), SECONDS_PER_CASE (5, random I/O), FILES (10000), ENTRIES (100000),
# CAP_SECONDS (300, per timed loop), REPEATS (3)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-${SIZE:-2G}}
out=${OUT:-${TMPDIR:-/tmp}/vexfs-fs}
[ "$(id -u)" = 0 ] || { echo "fs.sh: needs root (losetup, mount)" >&2; exit 2; }
command -v fio >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fio >/dev/null; }

dotnet build -c Release "$repo/bench/VexFs.Bench" -v quiet -nologo >&2
bench=$repo/bench/VexFs.Bench/bin/Release/net10.0/VexFs.Bench

work=$(mktemp -d -p "${BENCH_DIR:-${TMPDIR:-/tmp}}" .bench-fs.XXXXXX)
loop="" mounted=""
cleanup() {
  [ -n "$mounted" ] && { umount "$work/mnt" || umount -l "$work/mnt"; }
  [ -n "$loop" ] && losetup -d "$loop"
  rm -rf "$work"
}
trap cleanup EXIT

# Two images of the same size on the same host filesystem; both formatters discard (punch) them first.
truncate -s "$size" "$work/ext4.img" "$work/vexfs.img"
# Direct I/O on the loop device: like VexFS's O_DIRECT image, ext4 does not get the host's page cache too.
loop=$(losetup -f --show --direct-io=on "$work/ext4.img")
# Initialise inode tables and journal now, so that no background thread writes during the measurements.
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$loop"
mkdir "$work/mnt"
mount "$loop" "$work/mnt"
mounted=1

"$bench" fs --image "$work/vexfs.img" --ext4-device "$loop" --ext4-mount "$work/mnt" --host-dir "$work" --out "$out" \
  --stream-size "${STREAM_SIZE:-1G}" --seconds "${SECONDS_PER_CASE:-5}" --files "${FILES:-10000}" \
  --entries "${ENTRIES:-100000}" --cap-seconds "${CAP_SECONDS:-300}" --repeats "${REPEATS:-3}"

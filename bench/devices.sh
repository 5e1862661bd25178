#!/usr/bin/env bash
# Device I/O benchmark: VexFS's image-file and raw (loop) devices beside fio on the same file and device,
# in one run, printed as a table of ratios. Needs root for the loop device; without it, images only.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${SIZE:-1G}
seconds=${SECONDS_PER_CASE:-3}
command -v fio >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fio >/dev/null; }

work=$(mktemp -d -p "${BENCH_DIR:-$PWD}" .bench-devices.XXXXXX)
loop=""
cleanup() { [ -n "$loop" ] && losetup -d "$loop"; rm -rf "$work"; }
trap cleanup EXIT

# Filled, not sparse: reading holes would measure nothing.
dd if=/dev/urandom of="$work/image.img" bs=1M count=$(( $(numfmt --from=iec "$size") >> 20 )) status=none
dd if=/dev/urandom of="$work/raw.img" bs=1M count=$(( $(numfmt --from=iec "$size") >> 20 )) status=none
sync
args=(--image "$work/image.img" --seconds "$seconds")
if [ "$(id -u)" = 0 ]; then
  loop=$(losetup -f --show --direct-io=on "$work/raw.img")
  args+=(--raw "$loop")
fi
dotnet run -c Release --project bench/VexFs.Bench -- devices "${args[@]}"

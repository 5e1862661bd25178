#!/usr/bin/env bash
# Device I/O benchmark: VexFS's image-file and raw (loop) devices beside fio on the same file and device,
# in one run, printed as a table of ratios; and VexFS's NBD client on exports of qemu-nbd and nbdkit (on
# loopback, Unix sockets, each over an image of its own, kept out of the page cache) beside fio's nbd engine, with a
# table of the NBD figures against the local image's. Needs root for the loop device; without it, images only.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${SIZE:-1G}
seconds=${SECONDS_PER_CASE:-3}
need=()
command -v fio >/dev/null || need+=(fio)
command -v qemu-nbd >/dev/null || need+=(qemu-utils)
command -v nbdkit >/dev/null || need+=(nbdkit)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; fi

work=$(mktemp -d -p "${BENCH_DIR:-$PWD}" .bench-devices.XXXXXX)
loop=""
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$loop" ] && losetup -d "$loop"
  rm -rf "$work"
}
trap cleanup EXIT

# Filled, not sparse: reading holes would measure nothing.
dd if=/dev/urandom of="$work/image.img" bs=1M count=$(( $(numfmt --from=iec "$size") >> 20 )) status=none
dd if=/dev/urandom of="$work/raw.img" bs=1M count=$(( $(numfmt --from=iec "$size") >> 20 )) status=none
dd if=/dev/urandom of="$work/qemu.img" bs=1M count=$(( $(numfmt --from=iec "$size") >> 20 )) status=none
dd if=/dev/urandom of="$work/nbdkit.img" bs=1M count=$(( $(numfmt --from=iec "$size") >> 20 )) status=none
sync
args=(--image "$work/image.img" --seconds "$seconds")
if [ "$(id -u)" = 0 ]; then
  loop=$(losetup -f --show --direct-io=on "$work/raw.img")
  args+=(--raw "$loop")
fi
# The exports: qemu-nbd with O_DIRECT and Linux AIO, nbdkit's file plugin dropping what it reads and writes from the
# page cache (cache=none); both stay up between clients and allow several
# connections and several requests in flight.
qemu-nbd -f raw --cache=none --aio=native -t -e 4 -k "$work/qemu.sock" "$work/qemu.img" & servers+=($!)
nbdkit -f -U "$work/nbdkit.sock" file "$work/nbdkit.img" cache=none & servers+=($!)
for _ in $(seq 100); do [ -S "$work/qemu.sock" ] && [ -S "$work/nbdkit.sock" ] && break; sleep 0.1; done
args+=(--nbd-qemu "nbd+unix:///?socket=$work/qemu.sock" --nbd-kit "nbd+unix:///?socket=$work/nbdkit.sock")
dotnet run -c Release --project bench/VexFs.Bench -- devices "${args[@]}"

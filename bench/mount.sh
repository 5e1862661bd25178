#!/usr/bin/env bash
# The same workloads through the kernel on VexFS mounted with mount.vexfs (FUSE) and on ext4, each on a loop
# device (direct I/O) over an image of the same size, in one run: sequential 1 GiB write and read with dd,
# 4 KiB random read and write with fio, create / stat / delete of FILES files, `ls -l` of ENTRIES entries, and
# `tar x` of a real tree; VexFS twice, with its defaults (each write reaches the library before it returns) and
# with -o writeback_cache (the kernel caches writes, as it does for ext4). Prints one table with the ratios
# VexFS / ext4 (higher is better for both kinds of row: MB/s and IOPS as they are, times inverted); then where VexFS's time goes: the FUSE requests (answers) each workload
# costs per item, counted on a second mount served with -o debug. Needs root.
# usage: bench/mount.sh [SIZE=4G]
# environment: MOUNT_HOST (native, as installed, or jit), BENCH_DIR (where the images go, default ${TMPDIR:-/tmp}), FILES (10000), ENTRIES (100000),
# TREE (the tree to tar, default /usr/share/doc), SECONDS_PER_CASE (10, fio), STREAM_RUNS (5: the sequential rows
# are run that many times, the filesystems taking turns within each run, and the table gives each one's median;
# a virtual disk's speed moves from minute to minute, so one run compares moments as much as filesystems)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-${SIZE:-4G}}
files=${FILES:-10000} entries=${ENTRIES:-100000} tree=${TREE:-/usr/share/doc} seconds=${SECONDS_PER_CASE:-10}
[ "$(id -u)" = 0 ] || { echo "mount.sh: needs root (losetup, mount)" >&2; exit 2; }
command -v fio >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fio >/dev/null; }

dotnet build -c Release "$repo/samples/mkfs.vexfs" -v quiet -nologo >&2
mkfs_vexfs() { dotnet "$repo/samples/mkfs.vexfs/bin/Release/net10.0/mkfs.vexfs.dll" "$@"; }
# The host as scripts/install.sh installs it, a native executable (NativeAOT): no JIT warming up in the timed
# rows. MOUNT_HOST=jit runs the managed build instead.
if [ "${MOUNT_HOST:-native}" = jit ]; then
  dotnet build -c Release "$repo/samples/mount.vexfs" -v quiet -nologo >&2
  mount_vexfs() { dotnet "$repo/samples/mount.vexfs/bin/Release/net10.0/mount.vexfs.dll" "$@"; }
else
  "$repo/scripts/publish-native.sh" mount.vexfs >&2
  mount_vexfs() { "$repo/artifacts/publish/mount.vexfs/mount.vexfs" "$@"; }
fi

work=$(mktemp -d -p "${BENCH_DIR:-${TMPDIR:-/tmp}}" .bench-mount.XXXXXX)
loops=()
cleanup() {
  for m in "$work"/ext4 "$work"/vexfs "$work"/writeback; do mountpoint -q "$m" && { umount "$m" || umount -l "$m"; }; done
  for l in "${loops[@]}"; do losetup -d "$l"; done
  rm -rf "$work"
}
trap cleanup EXIT

truncate -s "$size" "$work/ext4.img" "$work/vexfs.img" "$work/writeback.img"
ext4_dev=$(losetup -f --show --direct-io=on "$work/ext4.img"); loops+=("$ext4_dev")
vexfs_dev=$(losetup -f --show --direct-io=on "$work/vexfs.img"); loops+=("$vexfs_dev")
writeback_dev=$(losetup -f --show --direct-io=on "$work/writeback.img"); loops+=("$writeback_dev")
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$ext4_dev"
mkfs_vexfs -q -F "$vexfs_dev"
mkfs_vexfs -q -F "$writeback_dev"
mkdir "$work/ext4" "$work/vexfs" "$work/writeback"
mount "$ext4_dev" "$work/ext4"
mount_vexfs "$vexfs_dev" "$work/vexfs"
mount_vexfs "$writeback_dev" "$work/writeback" -o writeback_cache

# Seconds that a command takes, run in the mount point.
seconds_of() {
  local dir=$1; shift
  local start end
  start=$(date +%s.%N)
  (cd "$dir" && "$@") >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# Many small files in one process, so that the figure is the filesystem's and not fork's.
file_loop() {
  python3 - "$1" "$2" <<'EOF'
import os, sys
op, count = sys.argv[1], int(sys.argv[2])
os.makedirs("many", exist_ok=True)
for i in range(count):
    name = f"many/f{i}"
    if op == "create":
        with open(name, "wb") as f:
            f.write(b"x" * 100)
    elif op == "stat":
        os.stat(name)
    else:
        os.unlink(name)
EOF
}

fio_iops() {
  fio --name=bench --directory="$1" --filename=random --size=1G --bs=4k --rw="$2" --ioengine=psync \
    --time_based --runtime="$seconds" --end_fsync=1 --output-format=terse 2>/dev/null |
    awk -F';' -v rw="$2" '{ print (rw == "randread") ? $8 : $49 }'
}

tar -C "$(dirname "$tree")" -cf "$work/tree.tar" "$(basename "$tree")" 2>/dev/null || true
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A result runs
for run in $(seq "${STREAM_RUNS:-5}"); do
  for fs in ext4 vexfs writeback; do
    m=$work/$fs
    t=$(seconds_of "$m" dd if=/dev/zero of=big bs=1M count=1024 conv=fsync)
    runs[$fs,write]+="$(awk -v t="$t" 'BEGIN { print 1024 / t }') "
    drop_caches
    t=$(seconds_of "$m" dd if=big of=/dev/null bs=1M)
    runs[$fs,read]+="$(awk -v t="$t" 'BEGIN { print 1024 / t }') "
    rm -f "$m/big"
    sync
  done
done
for fs in ext4 vexfs writeback; do
  for row in write read; do result[$fs,$row]=$(median <<<"${runs[$fs,$row]}"); done
done
for fs in ext4 vexfs writeback; do
  m=$work/$fs
  result[$fs,randread]=$(fio_iops "$m" randread)
  result[$fs,randwrite]=$(fio_iops "$m" randwrite)
  rm -f "$m/random"
  result[$fs,create]=$(seconds_of "$m" file_loop create "$files")
  drop_caches
  result[$fs,stat]=$(seconds_of "$m" file_loop stat "$files")
  result[$fs,delete]=$(seconds_of "$m" file_loop delete "$files")
  (cd "$m" && file_loop create "$entries") >/dev/null
  drop_caches
  result[$fs,ls]=$(seconds_of "$m/many" sh -c 'ls -l | wc -l')
  rm -rf "$m/many"
  result[$fs,tar]=$(seconds_of "$m" sh -c "tar -xf '$work/tree.tar' && sync")
done

printf '%-44s %12s %12s %8s %12s %8s\n' "workload (all on loop devices)" ext4 VexFS ratio "VexFS wb" ratio
ratio() { # value, ext4's value, higher-is-better
  if [ "$3" = up ]; then awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; else awk -v a="$2" -v b="$1" 'BEGIN { print a / b }'; fi
}
row() { # label, key, unit, higher-is-better
  local e=${result[ext4,$2]} v=${result[vexfs,$2]} w=${result[writeback,$2]}
  printf '%-44s %12.2f %12.2f %7.2fx %12.2f %7.2fx\n' "$1 ($3)" "$e" "$v" "$(ratio "$v" "$e" "$4")" "$w" "$(ratio "$w" "$e" "$4")"
}
row "sequential write 1 GiB, dd, fsync, median" write MB/s up
row "sequential read 1 GiB, dd, cold, median" read MB/s up
row "random read 4 KiB, fio psync" randread IOPS up
row "random write 4 KiB, fio psync" randwrite IOPS up
row "create $files files of 100 B" create s down
row "stat $files files, cold" stat s down
row "delete $files files" delete s down
row "ls -l of $entries entries, cold" ls s down
row "tar x of $tree" tar s down

echo
echo "Sequential runs, MB/s in the order run (ext4 / VexFS / VexFS wb, each run in turn), with VexFS / ext4 per run"
for row in write read; do
  read -ra e <<<"${runs[ext4,$row]}"; read -ra v <<<"${runs[vexfs,$row]}"; read -ra w <<<"${runs[writeback,$row]}"
  for i in "${!e[@]}"; do
    awk -v r="$row" -v n=$((i + 1)) -v e="${e[$i]}" -v v="${v[$i]}" -v w="${w[$i]}" \
      'BEGIN { printf "%-6s run %d: %8.0f / %8.0f / %8.0f   %5.2fx %5.2fx\n", r, n, e, v, w, v / e, w / e }'
  done
done

# Where the time goes: each request is a round trip through /dev/fuse (and a copy of its data each way), so
# the requests an item costs are counted on a separate small VexFS served with -o debug, workload by workload.
truncate -s 1G "$work/counted.img"
mkfs_vexfs -q -F "$work/counted.img"
mkdir "$work/counted"
mount_vexfs "$work/counted.img" "$work/counted" -o debug 2>"$work/debug.log" &
host=$!
for _ in $(seq 100); do mountpoint -q "$work/counted" && break; sleep 0.1; done
counted() { # label, items, command run in the mount point
  local before after
  before=$(wc -l <"$work/debug.log")
  (cd "$work/counted" && eval "$3") >/dev/null 2>&1
  after=$(wc -l <"$work/debug.log")
  sed -n "$((before + 1)),${after}p" "$work/debug.log" | awk -v label="$1" -v items="$2" '
    $2 == "node" && $4 == "unique" { n[$1]++; total++ }
    END {
      line = sprintf("%-38s %7.2f requests per item:", label, total / items)
      for (op in n) if (n[op] / items >= 0.01) line = line sprintf(" %s %.2f", op, n[op] / items)
      print line
    }'
}
echo
echo "FUSE requests per item on VexFS (from mount.vexfs -o debug)"
counted "create 1000 files of 100 B" 1000 'file_loop create 1000'
drop_caches
counted "stat 1000 files, cold" 1000 'file_loop stat 1000'
drop_caches
counted "ls -l of 1000 entries, cold" 1000 'cd many && ls -l'
counted "delete 1000 files" 1000 'file_loop delete 1000'
counted "write 64 MiB, dd bs=1M, per MiB" 64 'dd if=/dev/zero of=big bs=1M count=64 conv=fsync'
drop_caches
counted "read 64 MiB cold, dd bs=1M, per MiB" 64 'dd if=big of=/dev/null bs=1M'
counted "write in 4 KiB pieces, dd bs=4k, per write" 2000 'dd if=/dev/urandom of=big bs=4k count=2000 seek=100 conv=notrunc'
umount "$work/counted"
wait "$host" || true

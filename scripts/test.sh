#!/usr/bin/env bash
# Installs what the test suite needs, checks formatting, builds with warnings as errors, runs every test,
# and ends with one line of totals: "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v losetup >/dev/null || need+=(util-linux mount)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v blockdev >/dev/null || need+=(util-linux)
# The mount tests: FUSE's tools, and the programs they run on the mount.
command -v fusermount3 >/dev/null || need+=(fuse3)
command -v setfattr >/dev/null || need+=(attr)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v python3 >/dev/null || need+=(python3)
command -v rsync >/dev/null || need+=(rsync)
command -v git >/dev/null || need+=(git)
# The NBD tests: real servers (nbdkit with its memory and file plugins and filters; qemu-nbd and qemu-img).
command -v nbdkit >/dev/null || need+=(nbdkit)
command -v qemu-nbd >/dev/null || need+=(qemu-utils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing packages: ${need[*]} (run as root to install them)" >&2
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Where loop devices can be attached (root, /dev/loop-control), their tests must run, not skip.
if [ "$(id -u)" = 0 ] && [ -e /dev/loop-control ]; then export VEXFS_REQUIRE_LOOP=1; fi

# `mount -t vexfs` runs /sbin/mount.vexfs: unless scripts/install.sh put the native tool there, it runs this
# tree's build.
if [ "$(id -u)" = 0 ] && { [ ! -e /sbin/mount.vexfs ] || grep -q 'from a build tree' /sbin/mount.vexfs; }; then
  printf '#!/bin/sh\n# mount.vexfs from a build tree (scripts/test.sh); scripts/install.sh installs the native tool.\nexec %s %s "$@"\n' \
    "$(command -v dotnet)" "$PWD/samples/mount.vexfs/bin/Release/net10.0/mount.vexfs.dll" >/sbin/mount.vexfs
  chmod 0755 /sbin/mount.vexfs
fi

dotnet restore VexFs.sln
dotnet format VexFs.sln --verify-no-changes --no-restore
dotnet build VexFs.sln -c Release --no-restore -warnaserror

log=$(mktemp)
status=0
# Each test assembly leaves a TRX report with every test's duration; the slowest are listed after the run.
results="$PWD/artifacts/test-results"
rm -rf "$results"
dotnet test --solution VexFs.sln -c Release --no-build --report-xunit-trx --results-directory "$results" 2>&1 | tee "$log" || status=$?
python3 scripts/slowest-tests.py "$results"/*.trx || true

# The packages, checked as their users meet them (scripts/packages.sh): one more test in the totals.
packaged=1
./scripts/packages.sh || { packaged=0; status=1; }

summary=$(awk -v packaged="$packaged" '/Test run summary/ { t=f=s=k=0 } /^ +total:/ { t=$2 } /^ +failed:/ { f=$2 } /^ +succeeded:/ { s=$2 } /^ +skipped:/ { k=$2 } END { printf "%d passed, %d failed, %d skipped", s + packaged, f + 1 - packaged, k }' "$log")
rm -f "$log"
if [ "$status" -ne 0 ] && [[ "$summary" == *" 0 failed"* ]]; then
  summary="${summary/ 0 failed/ 1 failed}"
fi
echo "$summary"
exit "$status"

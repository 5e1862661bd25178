#!/usr/bin/env bash
# The long runs that do not fit CI: every three-operation crash workload (about 200,000 recoveries), 500
# model-based sequences of up to 120 operations on memory and 100 on each image-file and loop-device kind,
# 5,000 fsck convergence cases (damaged images repaired, checked again, then used by the library), 500
# repairs cut by power at spread-out writes, and
# VEXFS_UNMOUNT_CRASH_SEEDS (default 100) unmount workloads cut at every write, on top of the usual suite;
# then every fuzz target for VEXFS_FUZZ_SECONDS each (default 120, about half an hour in all) and a soak of
# VEXFS_SOAK_MINUTES (default 30). Exits non-zero when any of them failed.
set -euo pipefail
cd "$(dirname "$0")/.."
export VEXFS_EXHAUSTIVE=1 VEXFS_MODEL_TESTS=${VEXFS_MODEL_TESTS:-500} VEXFS_MODEL_OPS=${VEXFS_MODEL_OPS:-120} VEXFS_MODEL_DEVICE_TESTS=${VEXFS_MODEL_DEVICE_TESTS:-100}
export VEXFS_CONVERGENCE_CASES=${VEXFS_CONVERGENCE_CASES:-5000} VEXFS_CONVERGENCE_CRASH_CASES=${VEXFS_CONVERGENCE_CRASH_CASES:-500} VEXFS_UNMOUNT_CRASH_SEEDS=${VEXFS_UNMOUNT_CRASH_SEEDS:-100}
status=0
./scripts/test.sh || status=$?
./scripts/fuzz.sh all "${VEXFS_FUZZ_SECONDS:-120}" || status=$?
./scripts/soak.sh "${VEXFS_SOAK_MINUTES:-30}" || status=$?
exit "$status"

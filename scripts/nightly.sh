#!/usr/bin/env bash
# The long runs that do not fit CI: every three-operation crash workload (about 200,000 recoveries), 500
# model-based sequences of up to 120 operations on memory and 100 on each image-file and loop-device kind, and
# 5,000 fsck convergence cases (damaged images repaired, checked again, then used by the library),
# on top of the usual suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export VEXFS_EXHAUSTIVE=1 VEXFS_MODEL_TESTS=${VEXFS_MODEL_TESTS:-500} VEXFS_MODEL_OPS=${VEXFS_MODEL_OPS:-120} VEXFS_MODEL_DEVICE_TESTS=${VEXFS_MODEL_DEVICE_TESTS:-100} VEXFS_CONVERGENCE_CASES=${VEXFS_CONVERGENCE_CASES:-5000}
exec ./scripts/test.sh

#!/usr/bin/env bash
# Soak: random operations on a memory image behind a crash-simulating device, with EIO and ENOSPC injected
# (FaultInjectingDevice) and a power cut at the end of every round; each recovery is followed by fsck -n -f
# and a check that every file flushed (and not touched since) is intact. Prints totals; exits 1 on any failure.
# usage: scripts/soak.sh [minutes=60] [seed] [faults=eio,enospc]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build tests/VexFs.Soak -c Release -v quiet -nologo >/dev/null
exec dotnet tests/VexFs.Soak/bin/Release/net10.0/VexFs.Soak.dll "${1:-60}" "${2:-$RANDOM}" ${3:+"$3"}

#!/usr/bin/env bash
# The main job on the embedded default: an image file. Creates a sparse image, describes it, and proves
# through the device layer that what is written and flushed reads back after reopening.
set -euo pipefail
cd "$(dirname "$0")/.."
image=${1:-demo.img}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v dotnet >/dev/null || { echo "the .NET 10 SDK is needed (dotnet on PATH)" >&2; exit 1; }

dotnet build samples/vexctl -c Release -v quiet -nologo >/dev/null
vexctl() { dotnet "samples/vexctl/bin/Release/net10.0/vexctl.dll" "$@"; }

vexctl create "$image" --size 1G --force
vexctl info "$image"
vexctl verify "$image" --size 256M

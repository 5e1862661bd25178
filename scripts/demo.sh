#!/usr/bin/env bash
# The main job on the embedded default, an image file: make a VexFS filesystem on a new sparse image
# (declaring a vector space), describe the device, and check the filesystem with fsck.
set -euo pipefail
cd "$(dirname "$0")/.."
image=${1:-demo.img}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v dotnet >/dev/null || { echo "the .NET 10 SDK is needed (dotnet on PATH)" >&2; exit 1; }

for tool in mkfs.vexfs fsck.vexfs vexctl; do
  dotnet build "samples/$tool" -c Release -v quiet -nologo >/dev/null
done
run() { local tool=$1; shift; dotnet "samples/$tool/bin/Release/net10.0/$tool.dll" "$@"; }

rm -f "$image"
run mkfs.vexfs -L demo -V text:384:cosine "$image" 1G
run vexctl info "$image"
run fsck.vexfs -f "$image"

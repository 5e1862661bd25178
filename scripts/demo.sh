#!/usr/bin/env bash
# The main job on the embedded default, an image file: make a VexFS filesystem (with a vector space) on a new
# sparse image, copy a real directory tree into it, list it, copy it back out and compare, and check the
# filesystem with fsck.
set -euo pipefail
cd "$(dirname "$0")/.."
image=${1:-demo.img}
tree=${2:-docs}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v dotnet >/dev/null || { echo "the .NET 10 SDK is needed (dotnet on PATH)" >&2; exit 1; }

for tool in mkfs.vexfs fsck.vexfs vexctl; do
  dotnet build "samples/$tool" -c Release -v quiet -nologo >/dev/null
done
run() { local tool=$1; shift; dotnet "samples/$tool/bin/Release/net10.0/$tool.dll" "$@"; }

rm -f "$image"
run mkfs.vexfs -q -L demo -V text:384:cosine "$image" 1G
run vexctl --device "$image" put -r "$tree" /demo
run vexctl --device "$image" ls -l /demo
run vexctl --device "$image" df
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run vexctl --device "$image" get -r /demo "$out/demo"
diff -r "$tree" "$out/demo" && echo "copied back out: identical to $tree"
run fsck.vexfs -f "$image"

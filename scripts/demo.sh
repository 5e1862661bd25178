#!/usr/bin/env bash
# The main job on the embedded default, an image file: make a VexFS filesystem (with a vector space) on a new
# sparse image from a real directory tree, list it, copy the tree in once more beside it, copy both back out
# and compare them with the original, and check the filesystem with fsck.
# usage: scripts/demo.sh [IMAGE=demo.img] [TREE=docs]; VEXFS_TOOLS names a directory of built tool assemblies
# to use instead of building them.
set -euo pipefail
cd "$(dirname "$0")/.."
image=${1:-demo.img}
tree=${2:-docs}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v dotnet >/dev/null || { echo "the .NET 10 SDK is needed (dotnet on PATH)" >&2; exit 1; }

tools=${VEXFS_TOOLS:-}
if [ -z "$tools" ]; then
  for tool in mkfs.vexfs fsck.vexfs vexctl; do
    dotnet build "samples/$tool" -c Release -v quiet -nologo >/dev/null
  done
fi
run() { local tool=$1; shift; dotnet "${tools:-samples/$tool/bin/Release/net10.0}/$tool.dll" "$@"; }

rm -f "$image"
run mkfs.vexfs -q -L demo -V text:384:cosine -d "$tree" "$image" 1G
run vexctl --device "$image" ls -l /
run vexctl --device "$image" put -r "$tree" /copy
run vexctl --device "$image" df
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run vexctl --device "$image" get -r / "$out/root"
diff -r -x lost+found -x copy "$tree" "$out/root"
diff -r "$tree" "$out/root/copy"
echo "copied back out: both copies are identical to $tree"
run fsck.vexfs -f "$image"

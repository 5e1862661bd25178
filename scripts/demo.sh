#!/usr/bin/env bash
# The main job on the embedded default, an image file: make a VexFS filesystem with a 384-d cosine vector space
# `text` on a new sparse image from a real directory tree, embed its text files with the local sentence model
# (vexctl index), answer three searches by meaning from the shell, copy the tree in once more beside it, copy
# both back out and compare them with the original, and check the filesystem with fsck.
# On the default tree (the repository's docs/) each search's top hit must be the document the query is about,
# or the demo fails; on another tree the same searches are shown unchecked.
# usage: scripts/demo.sh [IMAGE=demo.img] [TREE=docs]; VEXFS_TOOLS names a directory of built tool assemblies
# to use instead of building them.
set -euo pipefail
cd "$(dirname "$0")/.."
image=${1:-demo.img}
tree=${2:-docs}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v dotnet >/dev/null || { echo "the .NET 10 SDK is needed (dotnet on PATH)" >&2; exit 1; }
start=$SECONDS
step() { echo; echo "== $*"; }

tools=${VEXFS_TOOLS:-}
if [ -z "$tools" ]; then
  step "building mkfs.vexfs, fsck.vexfs and vexctl"
  for tool in mkfs.vexfs fsck.vexfs vexctl; do
    dotnet build "samples/$tool" -c Release -v quiet -nologo >/dev/null
  done
fi
run() { local tool=$1; shift; dotnet "${tools:-samples/$tool/bin/Release/net10.0}/$tool.dll" "$@"; }

step "mkfs.vexfs: a 1G sparse image $image from $tree, with the vector space text (384-d, cosine)"
rm -f "$image"
run mkfs.vexfs -q -L demo -V text:384:cosine -d "$tree" "$image" 1G
run vexctl --device "$image" ls -l /
run vexctl --device "$image" spaces

step "vexctl index: every text file, embedded with all-MiniLM-L6-v2 on this machine"
run vexctl --device "$image" index / --space text

# Each query is in other words than its document; on docs/ the top hit must be that document.
queries=(
  "how are nearest neighbours found among embeddings|/vectors.md"
  "the byte layout of the superblock and inode records|/format.md"
  "what survives a power cut, and how the journal is replayed|/filesystem.md"
)
for entry in "${queries[@]}"; do
  query=${entry%|*}
  expected=${entry#*|}
  step "vexctl search / --space text --text \"$query\""
  hits=$(run vexctl --device "$image" search / --space text --text "$query" -k 3)
  echo "$hits"
  top=$(awk 'NR == 1 { print $2 }' <<<"$hits")
  if [ "$tree" = docs ]; then
    if [ "$top" != "$expected" ]; then
      echo "search is broken: the top hit is '$top', not $expected" >&2
      exit 1
    fi
    echo "top hit $top, as expected"
  fi
done

step "vexctl put -r: the tree again, as /copy"
run vexctl --device "$image" put -r "$tree" /copy
run vexctl --device "$image" df

step "vexctl get -r: everything back out, compared with $tree"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run vexctl --device "$image" get -r / "$out/root"
diff -r -x lost+found -x copy "$tree" "$out/root"
diff -r "$tree" "$out/root/copy"
echo "copied back out: both copies are identical to $tree"

step "fsck.vexfs -f"
run fsck.vexfs -f "$image"
echo
echo "demo done in $((SECONDS - start)) s"

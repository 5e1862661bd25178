#!/usr/bin/env bash
# Publishes mkfs.vexfs, fsck.vexfs, mount.vexfs and vexctl as native executables (NativeAOT) into a directory on
# PATH (default /usr/local/sbin), so that `mkfs.vexfs /dev/loop0` and `fsck -t vexfs` work as they do for ext4,
# links /sbin/mount.vexfs to it, where mount(8) looks for `mount -t vexfs` (and /etc/fstab lines), and installs
# the manual pages (mkfs.vexfs(8), fsck.vexfs(8), mount.vexfs(8), vexctl(1)) under MANDIR (default
# /usr/local/share/man). `install.sh --uninstall [DIR]` removes all of it again.
# usage: scripts/install.sh [--uninstall] [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
uninstall=0
if [ "${1:-}" = --uninstall ]; then uninstall=1; shift; fi
prefix=${1:-/usr/local/sbin}
mandir=${MANDIR:-/usr/local/share/man}
tools=(mkfs.vexfs fsck.vexfs mount.vexfs vexctl)
pages=(docs/man/mkfs.vexfs.8 docs/man/fsck.vexfs.8 docs/man/mount.vexfs.8 docs/man/vexctl.1)
if [ "$uninstall" = 1 ]; then
  for tool in "${tools[@]}" libonnxruntime.so; do
    rm -f "$prefix/$tool" && echo "removed $prefix/$tool"
  done
  if [ "$(readlink /sbin/mount.vexfs 2>/dev/null)" = "$prefix/mount.vexfs" ]; then
    rm -f /sbin/mount.vexfs && echo "removed /sbin/mount.vexfs"
  fi
  for page in "${pages[@]}"; do
    name=$(basename "$page")
    rm -f "$mandir/man${name##*.}/$name" && echo "removed $mandir/man${name##*.}/$name"
  done
  exit 0
fi
scripts/publish-native.sh "${tools[@]}"
mkdir -p "$prefix"
for tool in "${tools[@]}"; do
  install -m 0755 "artifacts/publish/$tool/$tool" "$prefix/$tool"
  echo "installed $prefix/$tool"
done
if [ "$(readlink -f "$prefix/mount.vexfs")" != "$(readlink -f /sbin/mount.vexfs)" ]; then
  ln -sf "$prefix/mount.vexfs" /sbin/mount.vexfs
  echo "linked /sbin/mount.vexfs to $prefix/mount.vexfs (mount -t vexfs)"
fi
# vexctl's sentence model (index, search --text) runs on ONNX Runtime, a native library that the native vexctl
# loads from its own directory.
install -m 0644 artifacts/publish/vexctl/libonnxruntime.so "$prefix/libonnxruntime.so"
echo "installed $prefix/libonnxruntime.so (for vexctl index and search --text)"
for page in "${pages[@]}"; do
  name=$(basename "$page")
  install -D -m 0644 "$page" "$mandir/man${name##*.}/$name"
  echo "installed $mandir/man${name##*.}/$name"
done

#!/usr/bin/env bash
# Publishes mkfs.vexfs, fsck.vexfs, mount.vexfs and vexctl as native executables (NativeAOT) into a directory on
# PATH (default /usr/local/sbin), so that `mkfs.vexfs /dev/loop0` and `fsck -t vexfs` work as they do for ext4,
# and links /sbin/mount.vexfs to it, where mount(8) looks for `mount -t vexfs` (and /etc/fstab lines).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local/sbin}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v dotnet >/dev/null || { echo "the .NET 10 SDK is needed (dotnet on PATH)" >&2; exit 1; }
if ! command -v clang >/dev/null && ! command -v gcc >/dev/null || [ ! -e /usr/include/zlib.h ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang zlib1g-dev >/dev/null
  fi
fi
rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
mkdir -p "$prefix"
for tool in mkfs.vexfs fsck.vexfs mount.vexfs vexctl; do
  dotnet publish "samples/$tool" -c Release -r "$rid" -p:PublishAot=true -o "artifacts/publish/$tool" -v quiet -nologo
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

#!/usr/bin/env bash
# Publishes the named tools of samples/ as native executables (NativeAOT) into artifacts/publish/TOOL/TOOL, first
# installing the native toolchain NativeAOT links with when it is missing and this runs as root.
# usage: scripts/publish-native.sh TOOL...
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v dotnet >/dev/null || { echo "the .NET 10 SDK is needed (dotnet on PATH)" >&2; exit 1; }
if ! command -v clang >/dev/null && ! command -v gcc >/dev/null || [ ! -e /usr/include/zlib.h ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang zlib1g-dev >/dev/null
  fi
fi
rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
for tool in "$@"; do
  dotnet publish "samples/$tool" -c Release -r "$rid" -p:PublishAot=true -o "artifacts/publish/$tool" -v quiet -nologo
done

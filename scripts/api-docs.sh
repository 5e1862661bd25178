#!/usr/bin/env bash
# Generates the API reference of VexFs.BlockDevices, Format, Core and Vectors from their XML documentation
# with docfx (a local .NET tool, .config/dotnet-tools.json) into artifacts/api/site (open index.html);
# a warning fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
rm -rf artifacts/api docs/api/api
log=$(mktemp)
dotnet docfx docs/api/docfx.json --warningsAsErrors > "$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
rm -f "$log"
echo "API reference: $(find artifacts/api/site/api -name '*.html' | wc -l) pages in artifacts/api/site"

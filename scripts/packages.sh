#!/usr/bin/env bash
# Packs VexFs.BlockDevices, VexFs.Format, VexFs.Core and VexFs.Vectors into artifacts/packages and checks them
# as their users will meet them: each package holds its assembly, XML docs, readme and licence, with a symbol
# package beside it; the assemblies build again bit for bit (deterministic); the readme's quick start is the
# sample's program and prints what the readme says; the sample (samples/quickstart) builds from the
# packages alone (a local folder feed, not the projects) and runs; and their API reference builds without a
# warning (scripts/api-docs.sh). Exit status 0 when all holds.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
packages=artifacts/packages
libraries=(VexFs.BlockDevices VexFs.Format VexFs.Core VexFs.Vectors)
py=/usr/bin/python3
version=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Version.props)
rm -rf "$packages" artifacts/quickstart-packages artifacts/quickstart
for library in "${libraries[@]}"; do
  dotnet pack "$library" -c Release -o "$packages" -v quiet -nologo
done

"$py" - "$packages" "$version" "${libraries[@]}" <<'PY'
import hashlib, sys, zipfile
packages, version, libraries = sys.argv[1], sys.argv[2], sys.argv[3:]
for library in libraries:
    names = set(zipfile.ZipFile(f"{packages}/{library}.{version}.nupkg").namelist())
    wanted = {f"lib/net10.0/{library}.dll", f"lib/net10.0/{library}.xml", "README.md", "LICENSE", f"{library}.nuspec"}
    symbols = set(zipfile.ZipFile(f"{packages}/{library}.{version}.snupkg").namelist())
    missing = (wanted - names) | ({f"lib/net10.0/{library}.pdb"} - symbols)
    if missing:
        sys.exit(f"{library} {version}: missing {sorted(missing)}")
    print(f"{library} {version}: assembly, XML docs, readme, licence; symbols in the .snupkg")
PY

# Deterministic: the assemblies built again from scratch are the ones packed.
"$py" - "$packages" "$version" "${libraries[@]}" > artifacts/packed.sha256 <<'PY'
import hashlib, sys, zipfile
packages, version, libraries = sys.argv[1], sys.argv[2], sys.argv[3:]
for library in libraries:
    data = zipfile.ZipFile(f"{packages}/{library}.{version}.nupkg").read(f"lib/net10.0/{library}.dll")
    print(hashlib.sha256(data).hexdigest(), library)
PY
for library in "${libraries[@]}"; do
  dotnet build "$library" -c Release --no-incremental --no-dependencies -v quiet -nologo >/dev/null
done
for library in "${libraries[@]}"; do
  echo "$(sha256sum "$library/bin/Release/net10.0/$library.dll" | cut -d' ' -f1) $library"
done | diff artifacts/packed.sha256 - >&2 || { echo "the assemblies built again differ from the packed ones" >&2; exit 1; }
echo "assemblies built again: identical to the packed ones"

# The readme's quick start is the sample's program, and its output is what the readme shows.
"$py" - docs/package-readme.md samples/quickstart/Program.cs > artifacts/readme-output.txt <<'PY'
import re, sys
readme, program = open(sys.argv[1]).read(), open(sys.argv[2]).read()
code = re.search(r"```csharp\n(.*?)```", readme, re.S).group(1)
if code != program:
    sys.exit("the quick start in docs/package-readme.md is not samples/quickstart/Program.cs")
print(re.search(r"It prints:\n\n```text\n(.*?)```", readme, re.S).group(1), end="")
PY
mkdir -p artifacts/quickstart
dotnet build samples/quickstart -c Release -o artifacts/quickstart -v quiet -nologo > artifacts/quickstart-build.log \
  || { cat artifacts/quickstart-build.log >&2; echo "samples/quickstart does not build from the packages" >&2; exit 1; }
(cd artifacts/quickstart && dotnet quickstart.dll) | diff artifacts/readme-output.txt - >&2 \
  || { echo "the quick start failed, or printed other than its readme says" >&2; exit 1; }
echo "samples/quickstart built from the packages in $packages and ran as its readme says"
./scripts/api-docs.sh

#!/usr/bin/env bash
# Fuzzes the decoders with SharpFuzz and afl-fuzz: builds tests/VexFs.Fuzz into artifacts/fuzz, instruments the
# library assemblies there, cuts seeds from images our own mkfs makes (plus the corpus kept in
# tests/VexFs.Fuzz.Tests/FuzzCorpus), runs each target for a bounded time, one at a time, and prints
# executions, crashes and hangs per target and in total. Crashing and hanging inputs are copied to
# artifacts/fuzz/findings/TARGET/; with VEXFS_FUZZ_KEEP=1 the minimised queue of each target replaces its kept corpus.
# usage: scripts/fuzz.sh [target|all] [seconds per target]   (exit 1 when anything crashed or hung)
set -euo pipefail
cd "$(dirname "$0")/.."
only=${1:-all}
seconds=${2:-60}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! command -v afl-fuzz >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
  else
    echo "afl-fuzz is missing (Debian package afl++; run as root to install it)" >&2
    exit 1
  fi
fi

work=artifacts/fuzz
tools=$work/tools
bin=$work/bin
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

rm -rf "$bin" "$work/seeds"
dotnet build tests/VexFs.Fuzz -c Release -o "$bin" -v quiet -nologo >/dev/null
dotnet "$bin/VexFs.Fuzz.dll" seeds "$work/seeds" >/dev/null
for assembly in VexFs.BlockDevices VexFs.Format VexFs.Core VexFs.Vectors; do
  "$tools/sharpfuzz" "$bin/$assembly.dll" >/dev/null
done

targets=$(dotnet "$bin/VexFs.Fuzz.dll" list)
if [ "$only" != all ]; then targets=$only; fi

# afl-fuzz runs the .NET host, not an afl-instrumented binary; no CPU binding on a shared machine; a runaway
# allocation hits the heap limit and crashes instead of swapping.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_QUIET=1
export DOTNET_GCHeapHardLimit=0x40000000 DOTNET_TieredPGO=0
dotnet=$(command -v dotnet)

field() { sed -n "s/^$1 *: *//p" "$2" 2>/dev/null | head -1 || true; }
total_execs=0 total_crashes=0 total_hangs=0
printf '%-18s %12s %8s %6s\n' target executions crashes hangs
for target in $targets; do
  input=$work/input/$target
  output=$work/output/$target
  rm -rf "$input" "$output"
  mkdir -p "$input" "$work/output"
  cp "$work/seeds/$target"/* "$input/"
  if [ -d "tests/VexFs.Fuzz.Tests/FuzzCorpus/$target" ]; then
    cp "tests/VexFs.Fuzz.Tests/FuzzCorpus/$target"/* "$input/" 2>/dev/null || true
  fi

  afl-fuzz -i "$input" -o "$output" -V "$seconds" -t 5000 -m none -- "$dotnet" "$bin/VexFs.Fuzz.dll" fuzz "$target" >"$work/$target.log" 2>&1 || true
  stats=$output/default/fuzzer_stats
  execs=$(field execs_done "$stats"); crashes=$(field saved_crashes "$stats"); hangs=$(field saved_hangs "$stats")
  execs=${execs:-0} crashes=${crashes:-0} hangs=${hangs:-0}
  if [ ! -f "$stats" ]; then echo "$target: afl-fuzz did not start; see $work/$target.log" >&2; crashes=1; fi
  printf '%-18s %12s %8s %6s\n' "$target" "$execs" "$crashes" "$hangs"
  total_execs=$((total_execs + execs)) total_crashes=$((total_crashes + crashes)) total_hangs=$((total_hangs + hangs))

  findings=$work/findings/$target
  rm -rf "$findings"
  mkdir -p "$findings"
  find "$output/default/crashes" "$output/default/hangs" -type f -name 'id:*' -exec cp {} "$findings/" \; 2>/dev/null || true

  if [ "${VEXFS_FUZZ_KEEP:-0}" = 1 ]; then
    kept=tests/VexFs.Fuzz.Tests/FuzzCorpus/$target
    minimised=$work/minimised/$target
    rm -rf "$minimised"
    afl-cmin -i "$output/default/queue" -o "$minimised" -t 5000 -m none -- "$dotnet" "$bin/VexFs.Fuzz.dll" fuzz "$target" >/dev/null 2>&1 || true
    if [ -n "$(ls -A "$minimised" 2>/dev/null)" ]; then
      # The smallest 40 inputs of at most 64 KiB, beside the seeds: the CI run stays within seconds.
      mkdir -p "$kept"
      find "$kept" -type f -name 'queue-*' -delete
      n=0
      while read -r size file; do
        [ "$size" -le 65536 ] && [ "$n" -lt 40 ] || break
        cp "$file" "$kept/queue-$(printf %03d "$n")"; n=$((n + 1))
      done < <(find "$minimised" -type f -printf '%s %p\n' | sort -n)
    fi
  fi
done
printf '%-18s %12s %8s %6s\n' total "$total_execs" "$total_crashes" "$total_hangs"
[ "$total_crashes" -eq 0 ] && [ "$total_hangs" -eq 0 ]

#!/usr/bin/python3
"""Prints one table from result files in the peers' schema: every run of every system, then the ratios
of our systems against native hnswlib (QPS at recall@10 >= 0.95, build time, memory) and FAISS flat.

usage: table.py RESULTS.json [RESULTS.json ...]
"""
import json, sys

TARGET = 0.95


def load(paths):
    systems = []
    for p in paths:
        data = json.load(open(p))
        systems.extend(data if isinstance(data, list) else [data])
    return systems


def qps_at(system, target=TARGET):
    """The highest QPS among the graph runs that reach the target recall (None when none does)."""
    ok = [r["qps"] for r in system["runs"] if r.get("ef", 0) > 0 and r["recall_at_10"] >= target]
    return max(ok) if ok else None


def find(systems, word, *more):
    for s in systems:
        name = s["system"].lower()
        if word in name and all(m in name for m in more):
            return s
    return None


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "n/a"


def main():
    systems = load(sys.argv[1:])
    first = systems[0]
    name = next((s["dataset"] for s in systems if "dataset" in s), "?")
    print(f"dataset {name}: n={first['n']} dim={first['dim']} metric={first['metric']} "
          f"k={first['k']} threads={first['threads']} build_threads={first['build_threads']}")
    print(f"{'system':<48} {'ef':>5} {'recall@10':>9} {'qps':>10}   build_s  memory_MiB")
    for s in systems:
        for i, r in enumerate(s["runs"]):
            tail = f"   {s['build_s']:7.1f}  {s['memory_bytes'] / 2**20:10.0f}" if i == 0 else ""
            ef = r.get("ef", 0) or f"b{r.get('batch', 1)}"
            print(f"{s['system'][:48]:<48} {ef:>5} {r['recall_at_10']:9.4f} {r['qps']:10.0f}{tail}")

    native = find(systems, "native")
    flat = find(systems, "faiss indexflat")
    print()
    print(f"ratios (ours / peer); QPS at recall@10 >= {TARGET}; higher QPS and lower build/memory are better")
    unfiltered = find(systems, "vexfs hnswindex")
    for s in systems:
        if not s["system"].startswith("VexFs"):
            continue
        if "filter" in s["system"] and unfiltered:
            pairs = [(r, u) for r in s["runs"] for u in unfiltered["runs"] if r["ef"] == u["ef"]]
            text = ", ".join(f"ef={r['ef']} {ratio(r['qps'], u['qps'])} (recall {r['recall_at_10']:.3f})" for r, u in pairs)
            print(f"  {s['system']}: QPS vs unfiltered: {text}")
            continue
        if "Flat" in s["system"] and flat:
            for run, peer in zip(s["runs"], flat["runs"]):
                print(f"  {s['system']:<40} exact, batch {run.get('batch', 1):>5}: QPS {ratio(run['qps'], peer['qps'])} of FAISS IndexFlat")
            continue
        if native:
            # Resident-memory growth of a garbage-collected process understates what the index holds (freed
            # input buffers are reused), so our side of the memory ratio is the bytes of the index arrays.
            ours = s.get("index_bytes", s["memory_bytes"])
            print(f"  {s['system']:<40} QPS {ratio(qps_at(s), qps_at(native))}  build {ratio(s['build_s'], native['build_s'])}"
                  f"  memory {ratio(ours, native['memory_bytes'])} ({ours / 2**20:.0f} MiB of index arrays)  vs native hnswlib")


if __name__ == "__main__":
    main()

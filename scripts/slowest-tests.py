#!/usr/bin/env python3
"""Prints the slowest tests of the TRX reports given, slowest first: where the suite's time goes."""
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"


def seconds(duration):
    hours, minutes, rest = duration.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def main(paths, count=15):
    results = []
    for path in paths:
        for result in ET.parse(path).getroot().iter(NS + "UnitTestResult"):
            if result.get("duration"):
                results.append((seconds(result.get("duration")), result.get("testName")))
    results.sort(reverse=True)
    total = sum(s for s, _ in results)
    print(f"slowest tests ({len(results)} tests, {total:.0f} s of test time):")
    for spent, name in results[:count]:
        print(f"  {spent:7.1f} s  {re.sub(r'^VexFs[.]', '', name)}")


if __name__ == "__main__":
    main(sys.argv[1:])

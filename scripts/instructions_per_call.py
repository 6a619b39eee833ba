#!/usr/bin/env python3
"""Instructions per call, counted by valgrind's callgrind (independent of the host's load).

Runs a profiling example twice, with a small and a large number of calls, and divides the
difference in instructions by the difference in calls, so that start-up costs cancel out.

    cargo build --profile bench -p ampersand-benches --example alloc_sites --example loopback_profile
    python3 scripts/instructions_per_call.py in-memory default bare
    python3 scripts/instructions_per_call.py loopback raw bare sdk sdk-timeout-deadline

`in-memory` runs `alloc_sites` (one client over the in-memory transport, calls one after the
other); `loopback` runs `loopback_profile` (batches of 64 concurrent calls to a server on
127.0.0.1) with one callgrind output per thread, and reports the client's thread (the main
thread, which drives the client's runtime) apart from the others (the server's).
"""

import glob
import os
import subprocess
import sys
import tempfile

TARGET = os.environ.get("CARGO_TARGET_DIR", "target")
EXAMPLES = os.path.join(TARGET, "release", "examples")


def totals(out_prefix):
    """Instructions per thread (1 = main thread) from callgrind's per-thread outputs."""
    counts = {}
    for path in glob.glob(out_prefix + "*"):
        suffix = path[len(out_prefix):]
        thread = int(suffix.rsplit("-", 1)[1]) if "-" in suffix else 1
        with open(path) as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    counts[thread] = counts.get(thread, 0) + int(line.split()[1])
                    break
    return counts


def run(example, args, workdir):
    prefix = os.path.join(workdir, "cg." + "-".join(args))
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--separate-threads=yes",
         "--callgrind-out-file=" + prefix, os.path.join(EXAMPLES, example), *args],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return totals(prefix)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("in-memory", "loopback"):
        sys.exit(__doc__)
    mode, variants = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as workdir:
        for variant in variants:
            if mode == "in-memory":
                small, large = run("alloc_sites", [variant, "1000"], workdir), run("alloc_sites", [variant, "3000"], workdir)
                calls = 2000
            else:
                small, large = run("loopback_profile", [variant, "100"], workdir), run("loopback_profile", [variant, "300"], workdir)
                calls = 200 * 64
            client = (large.get(1, 0) - small.get(1, 0)) / calls
            others = (sum(large.values()) - large.get(1, 0) - sum(small.values()) + small.get(1, 0)) / calls
            if mode == "in-memory":
                print(f"{variant}: {client + others:,.0f} instructions per call")
            else:
                print(f"{variant}: client thread {client:,.0f}, other threads {others:,.0f}, "
                      f"total {client + others:,.0f} instructions per call")


if __name__ == "__main__":
    main()

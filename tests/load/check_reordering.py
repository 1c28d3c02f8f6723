#!/usr/bin/env python3
"""The load capture shows what it was made for: jobs that gearmand assigned,
and that their worker finished, before the JOB_CREATED that names them
reached their client.

  check_reordering.py LOAD_DIR

Reads LOAD_DIR/load.check.json, written by captures/gen/load_check.py (an
independent reading of load.pcap, not the project's decoder) when
captures/make-load-capture.sh made the capture. Exit 1 when either count is 0:
then the analyzer's truth test would pass without testing the reordering;
77 (skipped) when there is no capture.
"""
import json
import os
import sys


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = os.path.join(sys.argv[1], "load.check.json")
    if not os.path.exists(path):
        print("no %s: the load.capture fixture was skipped (not root, or a tool missing)" % path)
        return 77
    with open(path) as f:
        r = json.load(f)["reordering"]
    print("handles with JOB_ASSIGN before JOB_CREATED: %d; with the worker's result before it: %d "
          "(%d background); with the client's result before it: %d"
          % (r["assign_before_created"], r["worker_result_before_created"],
             r["background_worker_result_before_created"], r["client_result_before_created"]))
    if r["assign_before_created"] == 0 or r["worker_result_before_created"] == 0:
        print("the capture does not show the reordering: try more workers (LOAD_WORKERS) or "
              "smaller batches (LOAD_BATCH), see captures/README.md")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

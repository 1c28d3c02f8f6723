#!/usr/bin/env python3
"""make_manifest.py NAME PCAP WORKDIR - write captures/NAME.manifest.json.

Facts come from two independent places:
  * gen/scenarios.json: what the generating script did (description, the
    software, port, and the job counts the scripts were written to submit);
  * gen/count_pdus.py: a reassembly of the capture itself (PDU counts, admin
    lines, jobs derived from JOB_CREATED handles and worker terminal packets).
The two are compared; any mismatch aborts, so a manifest is only written
when the wire agrees with the script. The JOB lines the scripts logged in
WORKDIR/jobs.log are compared too.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from count_pdus import analyse  # noqa: E402

name, pcap, work = sys.argv[1:4]
here = os.path.dirname(os.path.abspath(__file__))
meta = json.load(open(os.path.join(here, "scenarios.json")))[name]
port = meta["server"]["port"]
r = analyse(pcap, port)

problems = list(r["problems"])
exp = meta.get("expect", {})
for key, want in exp.items():
    cur = r
    for part in key.split("."):
        cur = cur.get(part, 0) if isinstance(cur, dict) else 0
    if cur != want:
        problems.append("expected %s = %r, capture has %r" % (key, want, cur))

for t in meta.get("expect_types", []):
    if not r["packets"]["by_type"].get(t):
        problems.append("expected at least one %s, capture has none" % t)
# Exact PDUs the scenario was written to provoke (the oddities a capture is for), e.g.
# ["WORK_STATUS", "REQ", "H:gearcap:5\u000033.33333333333333\u0000100"].
from count_pdus import NAMES  # noqa: E402
seen = {(NAMES.get(e[4]), e[5][1:].decode("latin-1"), e[6].decode("latin-1"))
        for e in r["events"] if e[3] == "bin"}
for t, magic, data in meta.get("expect_pdus", []):
    if (t, magic, data) not in seen:
        problems.append("expected %s/%s %r, not in capture" % (t, magic, data))
for a in meta.get("expect_admin", []):
    if a not in r["admin_commands"]:
        problems.append("expected admin command %r, not in capture" % a)

logged = []
jl = os.path.join(work, "jobs.log")
if os.path.exists(jl):
    logged = [l.split() for l in open(jl) if l.startswith("JOB ")]
if "script_submits" in meta:
    if len(logged) != meta["script_submits"]:
        problems.append("scripts logged %d submits, scenarios.json says %d"
                        % (len(logged), meta["script_submits"]))

# Damage the software itself made (e.g. a server that writes a byte more than the length it
# declares): listed in scenarios.json as count_pdus.py words it, recorded in the manifest.
for want in meta.get("expect_problems", []):
    if want in problems:
        problems.remove(want)
    else:
        problems.append("expected problem %r, count_pdus.py did not find it" % want)

if problems:
    for p in problems:
        print("%s: %s" % (name, p), file=sys.stderr)
    sys.exit(1)

manifest = {
    "capture": name + ".pcap",
    "description": meta["description"],
    "software": meta["software"],
    "server": meta["server"],
    "tcp_streams": r["tcp_streams"],
    "packets": r["packets"],
    "admin_commands": r["admin_commands"],
    "jobs": r["jobs"],
    "job_list": [{"handle": j["handle"], "function": j["function"], "unique": j["unique"],
                  "background": j["background"], "submits": j["submits"],
                  "outcome": j["outcome"] or "incomplete"} for j in r["job_list"]],
    "error_packets": r["errors"],
    "notes": meta.get("notes", []),
    # Packets the scenario knowingly made odd (what the software sends, by the scenario's design):
    # the decoder must find exactly these, and nothing a server rejects.
    **({"odd_packets": meta["odd_packets"]} if "odd_packets" in meta else {}),
    # Bytes in the streams that belong to no PDU, by the software's doing (see notes): the
    # decoders must skip exactly these.
    **({"stray_bytes": meta["stray_bytes"]} if "stray_bytes" in meta else {}),
    # Analyzer warnings beyond those any clean capture may carry, by the software's doing.
    **({"expected_warnings": meta["expected_warnings"]} if "expected_warnings" in meta else {}),
    "provenance": {
        "description, software, server, notes": "gen/scenarios.json (what make-captures.sh runs)",
        "tcp_streams, packets, admin_commands, jobs, job_list, error_packets":
            "gen/count_pdus.py: own pcap parser + TCP reassembly, not the project's decoder",
        "cross-checked": sorted(exp) + (["script_submits"] if "script_submits" in meta else [])
            + (["expect_types"] if "expect_types" in meta else [])
            + (["expect_admin"] if "expect_admin" in meta else [])
            + (["expect_pdus"] if "expect_pdus" in meta else [])
            + (["expect_problems"] if "expect_problems" in meta else []),
    },
}
out = os.path.join(os.path.dirname(here), name + ".manifest.json")
with open(out, "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
print("%s: %d binary PDUs, %d admin lines, %d jobs -> %s" % (
    name, r["packets"]["binary_total"], r["packets"]["admin_commands"],
    r["jobs"]["total"], os.path.basename(out)), file=sys.stderr)

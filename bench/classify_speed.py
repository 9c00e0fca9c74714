"""Benchmark: classification throughput per message, this tree beside a reference tree.

Issue 13 asks that recognising more families keeps classification within 20% of what it
was.  The reference is the classifier of another git revision (``--against``, default the
first commit of the classification work's base), exported with ``git archive`` to a
temporary directory and run by the same interpreter in a subprocess that puts it first on
``sys.path``; this tree's classifier runs the same way, so both parse and classify the very
same bytes.  Rounds alternate (this, reference, this, ...) so machine noise hits both.

The messages: every sample with a label (tests/data/*/labels.json and ../shared/corpus),
and a set of long person mails (a few hundred body lines of prose with a quoted reply, the
shape the attribution scan used to be slow on).  Prints messages/s and microseconds per
message for each set, the ratio this/reference and the load average.

    .venv/bin/python -P bench/classify_speed.py [--against REV] [--rounds 5] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs in the subprocess: classify every message of a set ``repeat`` times, print seconds.
CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from appliance.helpdesk.classify import Envelope, classify, context_from_args
cases = json.load(open(sys.argv[2]))
ctx_cache = {}
work = []
for c in cases:
    key = (tuple(c["rcpt"]), tuple(c["agents"]), c["agent_forwarding"])
    if key not in ctx_cache:
        ctx_cache[key] = context_from_args(c["rcpt"], c["agents"], c["agent_forwarding"])
    work.append((open(c["path"], "rb").read(), Envelope(c["mail_from"], tuple(c["rcpt"])),
                 ctx_cache[key]))
for raw, env, ctx in work:   # warm-up: imports, regex compilation
    classify(raw, env, ctx)
started = time.perf_counter()
for _ in range(int(sys.argv[3])):
    for raw, env, ctx in work:
        classify(raw, env, ctx)
print(json.dumps({"seconds": time.perf_counter() - started, "messages": len(work)}))
"""


def labelled_cases() -> list[dict]:
    cases: list[dict] = []
    folders = sorted((ROOT / "tests" / "data").glob("*/labels.json"))
    shared = ROOT.parent / "shared" / "corpus" / "labels.json"
    if shared.exists() and not (ROOT / "tests" / "data" / "corpus" / "labels.json").exists():
        folders.append(shared)
    for labels in folders:
        for label in json.loads(labels.read_text(encoding="utf-8")):
            path = labels.parent / label["file"]
            if path.exists():
                cases.append({"path": str(path), "mail_from": label["mail_from"],
                              "rcpt": label["rcpt"], "agents": label["agents"],
                              "agent_forwarding": label["agent_forwarding"]})
    return cases


PROSE = ("Our accounting team cannot print invoices since this morning, the queue shows every "
         "job as paused and restarting the spooler did not help. Could you have a look?")


def long_mails(folder: Path, count: int = 40) -> list[dict]:
    """Person mails of 300-700 body lines with a quoted earlier reply at the bottom."""
    cases = []
    for n in range(count):
        lines = [f"{PROSE[:40 + n % 60]} (line {i}, ticket ref {n}-{i})" for i in
                 range(300 + 10 * n)]
        quoted = [f"> {PROSE[i % 50:]}" for i in range(40)]
        body = "\r\n".join(["Hello support,", ""] + lines + [
            "", f"On Tue, 1 Dec 2026 at 10:{n % 60:02d}, Help Desk <support@widgets.example>"
            " wrote:"] + quoted + ["", "Best regards", "Ben Carter"])
        raw = (f"From: Ben Carter <ben{n}@client.example>\r\nTo: tickets@help.example.com\r\n"
               f"Subject: Re: Printer queue paused ({n})\r\nMessage-ID: <long{n}@client.example>"
               "\r\nDate: Wed, 2 Dec 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
        path = folder / f"long{n}.eml"
        path.write_bytes(raw.encode())
        cases.append({"path": str(path), "mail_from": f"ben{n}@client.example",
                      "rcpt": ["tickets@help.example.com"], "agents": [],
                      "agent_forwarding": False})
    return cases


def export(rev: str, into: Path) -> Path:
    """``rev``'s ``appliance`` package under ``into`` (git archive, no checkout touched)."""
    archive = into / "ref.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), rev, "appliance"],
                   check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "ref", filter="data")
    return into / "ref"


def timed(tree: Path, cases: Path, repeat: int) -> float:
    out = subprocess.run([sys.executable, "-P", "-c", CHILD, str(tree), str(cases),
                          str(repeat)], check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return result["seconds"] / (result["messages"] * repeat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default="85367f6",
                        help="git revision whose classifier is the reference")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="passes over a set per round")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="classify-bench-") as tmp:
        tmpdir = Path(tmp)
        ref = export(args.against, tmpdir)
        sets = {"labelled samples": labelled_cases(), "long person mails": long_mails(tmpdir)}
        report = {"against": args.against, "load_average": os.getloadavg(), "sets": {}}
        for name, cases in sets.items():
            path = tmpdir / f"{len(report['sets'])}.json"
            path.write_text(json.dumps(cases))
            this, other = [], []
            for _ in range(args.rounds):
                this.append(timed(ROOT, path, args.repeat))
                other.append(timed(ref, path, args.repeat))
            mine, theirs = statistics.median(this), statistics.median(other)
            report["sets"][name] = {"messages": len(cases), "this_us": mine * 1e6,
                                    "reference_us": theirs * 1e6,
                                    "this_per_s": 1 / mine, "reference_per_s": 1 / theirs,
                                    "ratio": theirs / mine}
        report["load_average_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"reference: {args.against}; load average {report['load_average'][0]:.2f} before, "
          f"{report['load_average_after'][0]:.2f} after")
    for name, r in report["sets"].items():
        print(f"{name:20} {r['messages']:4} msgs  this {r['this_per_s']:7.0f}/s "
              f"({r['this_us']:6.0f} us)  reference {r['reference_per_s']:7.0f}/s "
              f"({r['reference_us']:6.0f} us)  speed this/reference {r['ratio']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

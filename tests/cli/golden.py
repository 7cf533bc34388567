#!/usr/bin/env python3
"""Golden-output tests of the `hopsim` command (docs/ARCHITECTURE.md, "Tests").

Each case in tests/cli/golden_cases.txt runs the built binary once, from the source folder, and
compares its exit status, standard output and standard error (and, for cases that write a file
worth reading, that file) with tests/data/golden/cli/<case>.txt. The golden files are reviewed
data: scripts/update-golden.sh rewrites them, and a change of prediction shows up as a diff.

  golden.py --hopsim BIN --source-dir DIR --case NAME     check one case (what ctest runs)
  golden.py --hopsim BIN --source-dir DIR                 check every case, in order
  golden.py --hopsim BIN --source-dir DIR --update        rewrite every golden file
  golden.py --list                                        print the case names

Case lines read `name | arguments | options`. Arguments are shell words; these placeholders are
prepared first, in a fresh scratch folder (tempfile.mkdtemp) that is removed afterwards:
  {tmp}            the scratch folder itself
  {nsys_export}    tests/data/traces/nsys/synthetic_nsys.sql loaded into an SQLite file
  {nsys_trace}     that export imported with `hopsim import` (a hopsim trace SQLite)
  {measure_trace}  the SQLite file tests/data/traces/measure/synthetic_measure.py builds (the
                   layout `hopsim measure` writes, from its definition in trace_schema.hpp)
  {calibration}    {measure_trace} fitted with `hopsim calibrate` (a calibration YAML)
  {sweep_db}       tests/data/sweep/tiny-sweep.yaml run with `hopsim sweep` (-j 1)
  {job_trace}      the V100 and the A100 Kineto captures imported as one job's ranks
                   (`hopsim import A B -o job.sqlite`: ranks 0 and 1)
  {exported_trace} pipeline rank 0 of tests/data/calibrate/v2-lite-dualpipe.yaml's simulated step as
                   Kineto JSON (`hopsim run S --kineto F --kineto-rank 0`)
Options (comma-separated): `show=PATH` appends that file's text to the output.

Normalisation (only what cannot be the same on two machines or two runs):
  - the scratch folder -> <tmp>, the source folder -> <src>, the binary's path -> <hopsim>:
    they differ per run and per checkout;
  - the project version -> <version>: it changes with each release, not with a prediction;
  - `in 0.3 s` at the end of a sweep -> `in <elapsed> s`: wall-clock time;
  - UTC timestamps (`2026-01-31T12:00:00Z`) -> <utc-time>: `hopsim calibrate` records when it
    ran in the calibration's provenance (`hopsim import` records no time);
  - `(nsys, 12345 bytes)` in the import summary -> `(nsys, <bytes> bytes)`: the export is built
    here by the local SQLite library, whose file layout may differ between versions.
"""
import argparse
import difflib
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "golden_cases.txt")

# The measure-trace fixture's builder lives beside the other trace fixtures; importing it must
# leave no __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "data", "traces", "measure"))
import synthetic_measure  # noqa: E402


def read_cases():
    cases = {}
    with open(CASES, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) < 2 or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", parts[0]):
                sys.exit(f"{CASES}:{n}: expected 'name | arguments [| options]'")
            if parts[0] in cases:
                sys.exit(f"{CASES}:{n}: duplicate case '{parts[0]}'")
            opts = {}
            for o in (parts[2].split(",") if len(parts) > 2 and parts[2] else []):
                k, _, v = o.strip().partition("=")
                opts[k] = v
            cases[parts[0]] = (parts[1], opts)
    return cases


class Runner:
    def __init__(self, hopsim, src):
        self.hopsim = os.path.abspath(hopsim)
        self.src = os.path.abspath(src)
        self.env = dict(os.environ, HOPSIM_DATA_DIR=self.src, LC_ALL="C", TZ="UTC")
        self.version = self.run(["version"])[1].strip().split()[-1]

    def run(self, args):
        p = subprocess.run([self.hopsim] + args, cwd=self.src, env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    def must(self, args):
        rc, out, err = self.run(args)
        if rc != 0:
            sys.exit(f"preparing a fixture: hopsim {' '.join(args)} failed ({rc}):\n{out}{err}")

    def fixtures(self, tmp, words):
        made = {"tmp": tmp}
        needed = set(re.findall(r"\{(\w+)\}", " ".join(words)))

        def sql(name, script):
            path = os.path.join(tmp, name)
            with open(os.path.join(self.src, script), encoding="utf-8") as f, \
                    sqlite3.connect(path) as db:
                db.executescript(f.read())
            return path

        if needed & {"nsys_export", "nsys_trace"}:
            made["nsys_export"] = sql("nsys-export.sqlite", "tests/data/traces/nsys/synthetic_nsys.sql")
        if "nsys_trace" in needed:
            made["nsys_trace"] = os.path.join(tmp, "nsys-trace.sqlite")
            self.must(["import", made["nsys_export"], "-o", made["nsys_trace"]])
        if needed & {"measure_trace", "calibration"}:
            made["measure_trace"] = synthetic_measure.build(self.src,
                                                            os.path.join(tmp, "measure.sqlite"))
        if "calibration" in needed:
            made["calibration"] = os.path.join(tmp, "calibration.yaml")
            self.must(["calibrate", made["measure_trace"], "-o", made["calibration"]])
        if "sweep_db" in needed:
            made["sweep_db"] = os.path.join(tmp, "tiny-sweep.db")
            self.must(["sweep", "tests/data/sweep/tiny-sweep.yaml", "-o", made["sweep_db"],
                       "-j", "1", "--progress", "none"])
        if "job_trace" in needed:
            made["job_trace"] = os.path.join(tmp, "job.sqlite")
            self.must(["import", "tests/data/traces/kineto/v100-1rank-training.json.gz",
                       "tests/data/traces/kineto/a100-2rank-nccl.json.gz", "-o",
                       made["job_trace"], "--progress", "none"])
        if "exported_trace" in needed:
            made["exported_trace"] = os.path.join(tmp, "exported.json")
            self.must(["run", "tests/data/calibrate/v2-lite-dualpipe.yaml", "--kineto",
                       made["exported_trace"], "--kineto-rank", "0"])
        unknown = needed - set(made)
        if unknown:
            sys.exit(f"unknown placeholder(s): {', '.join(sorted(unknown))}")
        return made

    def normalise(self, text, tmp):
        text = text.replace(os.path.realpath(tmp), "<tmp>").replace(tmp, "<tmp>")
        text = text.replace(self.hopsim, "<hopsim>").replace(self.src, "<src>")
        text = re.sub(r"\b" + re.escape(self.version) + r"\b", "<version>", text)
        text = re.sub(r" in \d+\.\d s\n", " in <elapsed> s\n", text)
        text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<utc-time>", text)
        text = re.sub(r"\(nsys, \d+ bytes\)", "(nsys, <bytes> bytes)", text)
        return text

    def output(self, name, case):
        args, opts = case
        words = shlex.split(args)
        tmp = tempfile.mkdtemp(prefix=f"hopsim-golden-{name}-")
        try:
            made = self.fixtures(tmp, words)
            words = [re.sub(r"\{(\w+)\}", lambda m: made[m.group(1)], w) for w in words]
            rc, out, err = self.run(words)
            text = f"$ hopsim {args}\nexit status: {rc}\n--- stdout\n{out}--- stderr\n{err}"
            if "show" in opts:
                path = re.sub(r"\{(\w+)\}", lambda m: made[m.group(1)], opts["show"])
                text += f"--- file {opts['show']}\n"
                with open(path, encoding="utf-8") as f:
                    text += f.read()
            return self.normalise(text, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def golden_path(src, name):
    return os.path.join(src, "tests", "data", "golden", "cli", name + ".txt")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hopsim")
    ap.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--case")
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    cases = read_cases()
    if a.list:
        print("\n".join(cases))
        return 0
    if not a.hopsim:
        ap.error("--hopsim is required")
    r = Runner(a.hopsim, a.source_dir)
    if a.update:
        folder = os.path.dirname(golden_path(r.src, "x"))
        os.makedirs(folder, exist_ok=True)
        unstable = []
        for name, case in cases.items():
            first = r.output(name, case)
            # Run twice: output that differs between two runs cannot be a golden file.
            if r.output(name, case) != first:
                unstable.append(name)
                continue
            with open(golden_path(r.src, name), "w", encoding="utf-8") as f:
                f.write(first)
            print(f"wrote {os.path.relpath(golden_path(r.src, name), r.src)}")
        for f in os.listdir(folder):
            if f.endswith(".txt") and f[:-4] not in cases:
                os.remove(os.path.join(folder, f))
                print(f"removed {f} (no such case)")
        if unstable:
            print("not written, output differs between two runs: " + ", ".join(unstable))
            return 1
        return 0
    if a.case is not None and a.case not in cases:
        ap.error(f"no case '{a.case}' in {CASES}")
    # One case (as ctest runs them), or every case in order when none is named.
    names = [a.case] if a.case is not None else list(cases)
    changed = [name for name in names if not check(r, name, cases[name])]
    if len(names) > 1:
        print(f"{len(names) - len(changed)} of {len(names)} cases unchanged" +
              (": " + ", ".join(changed) + " changed" if changed else ""))
    if changed:
        print("\nThe output changed. If the change is intended, run scripts/update-golden.sh and "
              "review the diff.")
        return 1
    return 0


def check(r, name, case):
    """Whether `name` prints its golden file; a unified diff on stdout where it does not."""
    got = r.output(name, case)
    path = golden_path(r.src, name)
    if not os.path.exists(path):
        print(f"missing golden file {path}; run scripts/update-golden.sh")
        return False
    with open(path, encoding="utf-8") as f:
        want = f.read()
    if got == want:
        return True
    sys.stdout.writelines(difflib.unified_diff(
        want.splitlines(True), got.splitlines(True), f"golden/{name}.txt", "now"))
    return False

if __name__ == "__main__":
    sys.exit(main())

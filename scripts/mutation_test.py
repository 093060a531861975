#!/usr/bin/env python3
"""Mutation testing for tinycnn: break the library on purpose, one known way at a time, and
check that the test suite notices.

Each mutation in tests/mutations.txt replaces one exact piece of text in one library header.
For every mutation the tool writes the mutated header into a scratch copy of the source tree
(build-mutation/src), builds only the test targets named for it in a build directory that is
reused from one mutation to the next (so only what includes the header recompiles), runs
those tests with ctest, and puts the header back. The developer's own files are never edited,
so an interrupted run leaves the working tree as it was.

Results:
  killed                a listed test failed (or crashed, or timed out) with the mutation in
  killed (compile)      the mutated code did not build: weaker, a test never had to judge it
  survived              every listed test passed: no test notices this breakage
  stale                 the original text is not in the file exactly once: fix the entry
  not applicable        the mutation is for the other instruction set (see isa in the list)
  unverifiable          every listed test already fails without the mutation

A baseline run (no mutation) comes first; tests that fail there are reported and not counted
as catching anything. The exit status is 0 only when every applicable mutation was killed and
the baseline passed.

Standard library only: python3 scripts/mutation_test.py --help.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRATCH = REPO / "build-mutation"
DEFAULT_LIST = REPO / "tests" / "mutations.txt"
ARCHES = ("native", "haswell", "avx512")
ISAS = ("any", "avx512", "avx2")


# ---- the mutation list -------------------------------------------------------------------------

@dataclasses.dataclass
class Mutation:
    id: str
    desc: str = ""
    file: str = ""
    tests: list[str] = dataclasses.field(default_factory=list)
    tests_regex: str = ""
    targets: list[str] = dataclasses.field(default_factory=list)
    isa: str = "any"
    original: str | None = None
    replacement: str | None = None
    line: int = 0  # where the entry starts in the list, for messages

    def build_targets(self) -> list[str]:
        if self.targets:
            return self.targets
        return [target_of(t) for t in self.tests]


def target_of(test_name: str) -> str:
    """tests/CMakeLists.txt names the target of CTest case <area>/<name> test_<area>_<name>."""
    return "test_" + test_name.replace("/", "_")


class ListError(Exception):
    pass


def parse_list(path: Path) -> list[Mutation]:
    """Reads the mutation list. Format (documented at the top of tests/mutations.txt):

        [id]
        desc: one line
        file: include/tinycnn/...
        tests: area/name_test ...         (CTest names; targets follow from them)
        original: text to find            (verbatim after "original: ")
        replacement: text to put there
    Multi-line text: "original: <<<" then the lines verbatim, closed by a line ">>>".
    Optional: "isa: avx512|avx2", "targets: ...", "tests-regex: ..." (then targets is needed).
    """
    mutations: list[Mutation] = []
    cur: Mutation | None = None
    lines = path.read_text().split("\n")
    i = 0
    while i < len(lines):
        raw = lines[i]
        i += 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        m = re.fullmatch(r"\[([A-Za-z0-9_.-]+)\]\s*", raw)
        if m:
            cur = Mutation(id=m.group(1), line=i)
            mutations.append(cur)
            continue
        if cur is None:
            raise ListError(f"{path}:{i}: a field before the first [id]")
        m = re.match(r"([a-z-]+):(.*)$", raw)
        if not m:
            raise ListError(f"{path}:{i}: expected 'key: value', got {raw!r}")
        key, value = m.group(1), m.group(2)
        if value.startswith(" "):
            value = value[1:]
        if key in ("original", "replacement"):
            if value == "<<<":
                block = []
                while i < len(lines) and lines[i] != ">>>":
                    block.append(lines[i])
                    i += 1
                if i >= len(lines):
                    raise ListError(f"{path}:{cur.line}: [{cur.id}] {key} block has no closing '>>>'")
                i += 1
                value = "\n".join(block)
            if getattr(cur, key) is not None:
                raise ListError(f"{path}:{i}: [{cur.id}] has two '{key}' fields")
            setattr(cur, key, value)
        elif key == "desc":
            cur.desc = value.strip()
        elif key == "file":
            cur.file = value.strip()
        elif key == "tests":
            cur.tests = value.split()
        elif key == "tests-regex":
            cur.tests_regex = value.strip()
        elif key == "targets":
            cur.targets = value.split()
        elif key == "isa":
            cur.isa = value.strip()
        else:
            raise ListError(f"{path}:{i}: [{cur.id}] unknown field '{key}'")

    seen = set()
    for mu in mutations:
        where = f"{path}:{mu.line}: [{mu.id}]"
        if mu.id in seen:
            raise ListError(f"{where} id used twice")
        seen.add(mu.id)
        if not mu.desc:
            raise ListError(f"{where} needs a desc")
        if not mu.file.startswith("include/tinycnn/"):
            raise ListError(f"{where} file must be a library header under include/tinycnn/")
        if mu.original is None or mu.replacement is None:
            raise ListError(f"{where} needs original and replacement")
        if mu.original == "":
            raise ListError(f"{where} original is empty")
        if mu.original == mu.replacement:
            raise ListError(f"{where} replacement equals the original")
        if not mu.tests and not mu.tests_regex:
            raise ListError(f"{where} names no tests")
        if mu.tests and mu.tests_regex:
            raise ListError(f"{where} give tests or tests-regex, not both")
        if mu.tests_regex and not mu.targets:
            raise ListError(f"{where} tests-regex needs targets")
        if mu.isa not in ISAS:
            raise ListError(f"{where} isa must be one of {', '.join(ISAS)}")
    return mutations


# ---- plumbing ----------------------------------------------------------------------------------

def log(msg: str) -> None:
    print(msg, flush=True)


def run(cmd: list[str], logfile: Path | None = None, timeout: float | None = None) -> tuple[int, str]:
    """Runs cmd, returns (exit status, combined output); the output also goes to logfile. The
    command gets a process group of its own, so that an interrupted run ends the compilers and
    tests it started, and nothing else."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        out += f"\n[timed out after {timeout} s]\n"
        rc = 124
    except BaseException:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        p.wait()
        raise
    if logfile:
        with logfile.open("a") as f:
            f.write("$ " + " ".join(cmd) + "\n" + out + f"[exit {rc}]\n\n")
    return rc, out


def effective_isa(arch: str) -> str:
    """Which vector code the build compiles: include/tinycnn/simd/simd.hpp takes AVX-512 when
    AVX512F, BW and DQ are all enabled."""
    if arch == "haswell":
        return "avx2"
    if arch == "avx512":
        return "avx512"
    cxx = os.environ.get("CXX", "c++")
    try:
        out = subprocess.run([cxx, "-march=native", "-dM", "-E", "-x", "c++", os.devnull],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    except OSError:
        return "avx2"
    macros = set(re.findall(r"#define (__AVX512(?:F|BW|DQ)__)", out))
    return "avx512" if len(macros) == 3 else "avx2"


def ctest_regex(names: list[str]) -> str:
    esc = [re.sub(r"([.+*?()|\[\]{}^$\\])", r"\\\1", n) for n in names]
    return "^(" + "|".join(esc) + ")$"


def source_files() -> list[str]:
    """The developer's tree as it is now: tracked files (with uncommitted edits) and untracked
    ones git does not ignore."""
    out = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    files = []
    for f in out.split("\0"):
        if not f or f.startswith("build-mutation/"):
            continue
        if (REPO / f).is_file():
            files.append(f)
    return files


def sync_scratch(src: Path) -> int:
    """Mirrors the working tree into src, writing only files whose content differs, so that an
    unchanged header keeps its time stamp and the reused build stays incremental. Returns how
    many files were written."""
    wanted = set(source_files())
    written = 0
    for rel in wanted:
        a, b = REPO / rel, src / rel
        data = a.read_bytes()
        if b.is_file() and b.read_bytes() == data:
            continue
        b.parent.mkdir(parents=True, exist_ok=True)
        b.write_bytes(data)
        shutil.copymode(a, b)
        written += 1
    for path in sorted(src.rglob("*"), reverse=True):
        rel = path.relative_to(src).as_posix()
        if path.is_file() and rel not in wanted:
            path.unlink()
            written += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return written


@dataclasses.dataclass
class TestRun:
    ran: list[str]
    failed: dict[str, str]  # name -> why (Failed, Timeout, a signal...)
    seconds: dict[str, float]
    output: str

    def first_failing_case(self) -> str:
        """The first doctest case that failed, as the test printed it."""
        m = re.search(r"^TEST CASE:\s+(.*)$", self.output, re.M)
        return m.group(1).strip() if m else ""


def run_ctest(build: Path, regex: str, jobs: int, timeout: float, logfile: Path) -> TestRun:
    junit = build / "mutation-junit.xml"
    if junit.exists():
        junit.unlink()
    rc, out = run(["ctest", "--test-dir", str(build), "-R", regex, "-j", str(jobs), "--timeout", str(int(timeout)),
                   "--output-on-failure", "--output-junit", str(junit)], logfile)
    ran, failed, seconds = [], {}, {}
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            name = case.get("name", "")
            ran.append(name)
            seconds[name] = float(case.get("time", "0") or 0)
            bad = case.find("failure")
            if bad is None:
                bad = case.find("error")
            if case.get("status") not in (None, "run") or bad is not None:
                why = (bad.get("message") if bad is not None else None) or case.get("status") or "failed"
                failed[name] = why
    # ctest's own words for a failure (Failed, Timeout, SEGFAULT...) win over the XML's.
    m = re.search(r"The following tests FAILED:\n((?:\s+\d+ - .*\n?)+)", out)
    if m:
        for line in m.group(1).splitlines():
            mm = re.match(r"\s+\d+ - (\S+) \((.*)\)", line)
            if mm:
                failed[mm.group(1)] = mm.group(2)
                if mm.group(1) not in ran:
                    ran.append(mm.group(1))
    return TestRun(ran, failed, seconds, out)


# ---- the run -----------------------------------------------------------------------------------

@dataclasses.dataclass
class Result:
    mutation: Mutation
    status: str
    caught_by: str = ""
    seconds: float = 0.0
    detail: str = ""  # the first failing test case, or why the build failed
    passed: str = ""  # listed tests that passed although the mutation was in


def print_table(results: list[Result]) -> None:
    rows = [("id", "result", "caught by", "s", "description")]
    for r in results:
        rows.append((r.mutation.id, r.status, r.caught_by or "-", f"{r.seconds:.0f}", r.mutation.desc))
    widths = [max(len(row[k]) for row in rows) for k in range(4)]
    for n, row in enumerate(rows):
        log("  ".join(row[k].ljust(widths[k]) for k in range(4)) + "  " + row[4])
        if n == 0:
            log("  ".join("-" * w for w in widths) + "  " + "-" * 11)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    log("\n" + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))


def write_results(path: Path, results: list[Result]) -> None:
    with path.open("w") as f:
        f.write("id\tresult\tcaught_by\tfirst_failure\tpassed_anyway\tseconds\tdescription\n")
        for r in results:
            f.write(f"{r.mutation.id}\t{r.status}\t{r.caught_by}\t{r.detail}\t{r.passed}\t{r.seconds:.1f}\t"
                    f"{r.mutation.desc}\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated mutation ids to run (default: all)")
    ap.add_argument("--list", action="store_true", help="list the mutations (and stale entries) and exit")
    ap.add_argument("--jobs", type=int, default=2, help="parallel compile and test jobs (default 2)")
    ap.add_argument("--arch", choices=ARCHES, default="native", help="TINYCNN_ARCH of the build (default native)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the scratch tree and its build directory for the next run (faster) or a look")
    ap.add_argument("--mutations", type=Path, default=DEFAULT_LIST, help="the mutation list (default tests/mutations.txt)")
    ap.add_argument("--timeout", type=float, default=0,
                    help="seconds a mutated test may run (default: 10x its baseline time, at least 60)")
    args = ap.parse_args()

    # Stop cleanly (the scratch header restored, the results so far printed) on Ctrl-C, also
    # when started in the background where SIGINT is ignored, and on a plain kill.
    def stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    try:
        mutations = parse_list(args.mutations)
    except ListError as e:
        log(f"mutation list: {e}")
        return 2
    if args.only:
        ids = [s for s in args.only.split(",") if s]
        unknown = [s for s in ids if s not in {m.id for m in mutations}]
        if unknown:
            log("unknown mutation id(s): " + ", ".join(unknown))
            return 2
        mutations = [m for m in mutations if m.id in ids]

    isa = effective_isa(args.arch)
    # Stale entries are judged on the developer's files, before anything is copied.
    stale = {}
    for m in mutations:
        path = REPO / m.file
        n = path.read_text().count(m.original) if path.is_file() else -1
        if n != 1:
            stale[m.id] = "file missing" if n < 0 else f"original found {n} times"

    if args.list:
        for m in mutations:
            state = "STALE (" + stale[m.id] + ")" if m.id in stale else "ok"
            tests = " ".join(m.tests) or f"/{m.tests_regex}/"
            log(f"{m.id:34} {m.isa:6} {state:8} {m.file}  [{tests}]\n{'':34} {m.desc}")
        log(f"\n{len(mutations)} mutations, {len(stale)} stale; --arch {args.arch} compiles the {isa} kernels here")
        return 1 if stale else 0

    results: dict[str, Result] = {}
    todo = []
    for m in mutations:
        if m.id in stale:
            results[m.id] = Result(m, "stale", stale[m.id])
        elif m.isa != "any" and m.isa != isa:
            results[m.id] = Result(m, "not applicable", f"needs {m.isa}, build is {isa}")
        else:
            todo.append(m)

    src = SCRATCH / "src"
    build = SCRATCH / f"build-{args.arch}"
    logs = SCRATCH / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    src.mkdir(parents=True, exist_ok=True)
    log(f"scratch tree {src.relative_to(REPO)}, build {build.relative_to(REPO)}, {isa} kernels, "
        f"{len(todo)} mutations to run")
    start = time.time()
    exit_code = 0
    interrupted = False
    baseline_failed: dict[str, str] = {}
    slowest: dict[str, float] = {}
    try:
        written = sync_scratch(src)
        log(f"synced the scratch tree ({written} files written)")
        gen = ["-G", "Ninja"] if shutil.which("ninja") and not (build / "Makefile").exists() else []
        base_log = logs / "baseline.log"
        base_log.write_text("")
        rc, out = run(["cmake", "-S", str(src), "-B", str(build), *gen, "-DCMAKE_BUILD_TYPE=Release",
                       f"-DTINYCNN_ARCH={args.arch}"], base_log)
        if rc != 0:
            log(f"configure failed, see {base_log}")
            return 2

        # Every named test must exist; a typo would otherwise pass as 'no test failed'.
        out = subprocess.run(["ctest", "--test-dir", str(build), "--show-only=json-v1"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True).stdout
        try:
            known = {t["name"] for t in json.loads(out)["tests"]}
        except (ValueError, KeyError) as e:
            log(f"cannot read the list of tests from ctest: {e}")
            return 2
        missing = sorted({t for m in todo for t in m.tests} - known)
        if missing:
            log("the list names tests CTest does not know: " + ", ".join(missing))
            return 2

        # Baseline: every target and test the selected mutations use, unmutated.
        targets = sorted({t for m in todo for t in m.build_targets()})
        if todo:
            log(f"baseline: building {len(targets)} targets ...")
            t0 = time.time()
            rc, out = run(["cmake", "--build", str(build), "-j", str(args.jobs), "--target", *targets], base_log)
            if rc != 0:
                log(f"the unmutated tree does not build ({time.time() - t0:.0f} s), see {base_log}")
                return 2
            log(f"baseline: built in {time.time() - t0:.0f} s; running the tests ...")
            # One flat alternation: CMake's regular expressions allow only a few groups.
            names = sorted({t for m in todo for t in m.tests})
            regexes = sorted({m.tests_regex for m in todo if m.tests_regex})
            regex = "|".join(([ctest_regex(names)] if names else []) + regexes)
            base = run_ctest(build, regex, args.jobs, 3600, base_log)
            baseline_failed = base.failed
            not_run = sorted(set(names) - set(base.ran))
            if not_run or not base.ran:
                log("the baseline did not run " + (", ".join(not_run) or "any test") + f", see {base_log}")
                return 2
            for name in sorted(base.seconds):
                flag = "  FAILS WITHOUT ANY MUTATION: " + base.failed[name] if name in base.failed else ""
                log(f"  {name:40} {base.seconds[name]:7.1f} s{flag}")
            if baseline_failed:
                exit_code = 1
            slowest = dict(base.seconds)

        for k, m in enumerate(todo, 1):
            t0 = time.time()
            mlog = logs / f"{m.id}.log"
            mlog.write_text(f"{m.id}: {m.desc}\n{m.file}\n--- original\n{m.original}\n--- replacement\n"
                            f"{m.replacement}\n\n")
            target = src / m.file
            pristine = target.read_text()
            if pristine.count(m.original) != 1:  # the file changed after the stale check
                results[m.id] = Result(m, "stale", "original not found once in the scratch copy")
                continue
            tests = [t for t in m.tests if t not in baseline_failed]
            if m.tests and not tests:
                results[m.id] = Result(m, "unverifiable", "all its tests fail unmutated")
                continue
            try:
                target.write_text(pristine.replace(m.original, m.replacement, 1))
                rc, out = run(["cmake", "--build", str(build), "-j", str(args.jobs), "--target", *m.build_targets()],
                              mlog)
                if rc != 0:
                    err = re.search(r"error: (.*)", out)
                    results[m.id] = Result(m, "killed (compile)", "build failed", time.time() - t0,
                                           err.group(1).strip() if err else "")
                else:
                    regex = ctest_regex(tests) if tests else m.tests_regex
                    limit = args.timeout or max(60.0, 10 * max([slowest.get(t, 6.0) for t in tests] or [6.0]))
                    tr = run_ctest(build, regex, args.jobs, limit, mlog)
                    not_run = sorted(set(tests) - set(tr.ran))
                    if not tr.ran or not_run:
                        results[m.id] = Result(m, "error", "did not run: " + (", ".join(not_run) or "any test"),
                                               time.time() - t0)
                    elif tr.failed:
                        caught = ", ".join(f"{n}" + (f" ({w})" if w.lower() not in ("failed", "fail") else "")
                                           for n, w in sorted(tr.failed.items()))
                        results[m.id] = Result(m, "killed", caught, time.time() - t0, tr.first_failing_case(),
                                               ", ".join(sorted(n for n in tr.ran if n not in tr.failed)))
                    else:
                        results[m.id] = Result(m, "survived", "", time.time() - t0, "", ", ".join(sorted(tr.ran)))
            finally:
                target.write_text(pristine)  # a fresh time stamp: the next build recompiles it
            r = results[m.id]
            log(f"[{k}/{len(todo)}] {m.id}: {r.status}{' by ' + r.caught_by if r.caught_by else ''} "
                f"({r.seconds:.0f} s){': ' + r.detail if r.detail else ''}"
                f"{'; passed anyway: ' + r.passed if r.passed else ''}")
    except KeyboardInterrupt:
        interrupted = True
        log("\ninterrupted: the scratch tree is restored; partial results follow")
    ordered = [results[m.id] for m in mutations if m.id in results]
    log(f"\nmutation testing, --arch {args.arch} ({isa} kernels), {time.time() - start:.0f} s\n")
    if baseline_failed:
        log("baseline failures (these tests fail with no mutation; they count for nothing below): " +
            ", ".join(f"{n} ({w})" for n, w in sorted(baseline_failed.items())) + "\n")
    print_table(ordered)
    write_results(SCRATCH / f"results-{args.arch}.tsv", ordered)
    log(f"\nper-mutation logs: {logs.relative_to(REPO)}/<id>.log; table: "
        f"{(SCRATCH / f'results-{args.arch}.tsv').relative_to(REPO)}")

    if not args.keep:
        shutil.rmtree(src, ignore_errors=True)
        shutil.rmtree(build, ignore_errors=True)
    if interrupted:
        return 130
    if any(r.status in ("survived", "stale", "error", "unverifiable") for r in ordered):
        exit_code = 1
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

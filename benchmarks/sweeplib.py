"""What the benchmark sweeps share: the machine's name, running cnn_benchmark once per
configuration (an interrupted sweep resumes: a configuration whose JSON exists is not run again),
and matplotlib when it is installed."""
import json
import os
import re
import shlex
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TINYCNN = os.path.join(REPO, "build", "examples", "cnn_benchmark")


def version():
    """tinycnn's version, from include/tinycnn/version.hpp (its one home)."""
    with open(os.path.join(REPO, "include", "tinycnn", "version.hpp")) as f:
        text = f.read()
    return ".".join(re.search(rf"#define TINYCNN_VERSION_{part} (\d+)", text).group(1) for part in ("MAJOR", "MINOR", "PATCH"))


def add_version_flag(parser, program):
    """--version: "program 0.1.0 (tinycnn)", as the C++ programs print theirs."""
    parser.add_argument("--version", action="version", version=f"{program} {version()} (tinycnn)")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def run_once(k, total, name, cmd, json_path, env, started=None):
    """Runs cmd unless json_path exists; prints progress (k of total, and an estimate of the time
    left from the runs made so far); returns the parsed JSON."""
    if os.path.exists(json_path):
        print(f"[{k}/{total}] {name}: done before ({json_path})", flush=True)
    else:
        print(f"[{k}/{total}] {name}: " + " ".join(shlex.quote(x) for x in cmd), flush=True)
        begin = time.monotonic()
        done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode != 0:
            sys.exit(f"{name} failed with exit status {done.returncode}:\n{done.stdout[-3000:]}")
        totals = [line for line in done.stdout.splitlines() if line.startswith("total images/sec")]
        if started is not None:
            started.append(time.monotonic() - begin)
            left = (total - k) * sum(started) / len(started)
            totals.append(f"{time.monotonic() - begin:.0f} s; about {left / 60:.1f} min left")
        print(f"    {'; '.join(totals)}", flush=True)
    with open(json_path) as f:
        return json.load(f)


def run_repeated(k, total, name, cmd, repetitions, json_path, env, started, extra):
    """For a program without --repetitions and --output_json (mnist_deep): runs cmd repetitions
    times, reads each run's "total images/sec: X" line, and keeps them in json_path (with extra's
    fields) in the layout cnn_benchmark writes, so a sweep reads both alike."""
    if os.path.exists(json_path):
        print(f"[{k}/{total}] {name}: done before ({json_path})", flush=True)
    else:
        print(f"[{k}/{total}] {name}: {repetitions} x " + " ".join(shlex.quote(x) for x in cmd), flush=True)
        begin = time.monotonic()
        reps = []
        for _ in range(repetitions):
            done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            totals = [line for line in done.stdout.splitlines() if line.startswith("total images/sec:")]
            if done.returncode != 0 or not totals:
                sys.exit(f"{name} failed with exit status {done.returncode}:\n{done.stdout[-3000:]}")
            reps.append(dict(images_per_sec=float(totals[-1].split(":")[1])))
        started.append(time.monotonic() - begin)
        left = (total - k) * sum(started) / len(started)
        rates = ", ".join(f"{r['images_per_sec']:.1f}" for r in reps)
        print(f"    images/sec {rates}; "
              f"{started[-1]:.0f} s; about {left / 60:.1f} min left", flush=True)
        partial = json_path + ".partial"
        with open(partial, "w") as f:
            json.dump(dict(extra, repetitions=reps), f)
        os.replace(partial, json_path)  # only a whole result counts as done
    with open(json_path) as f:
        return json.load(f)


def pyplot():
    """matplotlib's pyplot drawing to files, or None (and a hint) where it is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        print("matplotlib is not installed: no figures (apt-get install python3-matplotlib)")
        return None

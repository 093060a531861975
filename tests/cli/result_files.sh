#!/bin/sh
# cnn_benchmark's result files, from a real run: the JSON follows its published schema
# (docs/schema/benchmark-result-2.json) with the flags as typed values, and the CSV has one row
# per repetition agreeing with the JSON.
#   result_files.sh CNN_BENCHMARK SCHEMA VALIDATOR
set -eu
exe=$1 schema=$2 validator=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if ! "$exe" --model=trivial --batch_size=4 --num_batches=2 --num_warmup_batches=0 --repetitions=3 \
     --num_intra_threads=1 --num_inter_threads=2 --mkl --kmp_blocktime=0 --kmp_settings=0 --learning_rate=0.01 \
     --output_json="$dir/r.json" --output_csv="$dir/r.csv" > "$dir/out.txt" 2>&1; then
  cat "$dir/out.txt"
  exit 1
fi
python3 "$validator" "$schema" "$dir/r.json"
python3 - "$dir/r.json" "$dir/r.csv" <<'PY'
import csv, json, sys
doc = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
c, omp = doc["configuration"], doc["openmp"]
expect = dict(num_intra_threads=1, num_intra_threads_requested=1, num_inter_threads=2, num_inter_threads_requested=2,
              mkl=True, kmp_blocktime=0, kmp_settings=0, learning_rate=0.01, batch_size=4, repetitions=3)
bad = [f"configuration.{k} is {c[k]!r}, not {v!r}" for k, v in expect.items() if c[k] != v or type(c[k]) != type(v)]
if c["learning_rate_schedule"] != {"kind": "constant", "boundaries_steps": [], "values": [0.01]}:
    bad.append(f"learning_rate_schedule is {c['learning_rate_schedule']}")
if omp["omp_wait_policy"] != "passive" or omp["max_threads"] != 1:  # what --mkl --kmp_blocktime=0 set
    bad.append(f"openmp is {omp}")
if len(rows) != 3:
    bad.append(f"{len(rows)} CSV rows, not 3")
for k, row in enumerate(rows):
    rep = doc["repetitions"][k]
    if int(row["repetition"]) != k + 1 or abs(float(row["images_per_sec"]) - rep["images_per_sec"]) > 1e-5 * rep["images_per_sec"]:
        bad.append(f"CSV row {k + 1} {row} disagrees with the JSON's repetition {rep['images_per_sec']}")
    if row["schema"] != doc["schema"] or row["host"] != doc["provenance"]["host"] or row["num_inter_threads"] != "2":
        bad.append(f"CSV row {k + 1} {row} lacks the run's configuration or provenance")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY

# --summary: the table after the header, and every layer in the JSON, following the schema.
if ! "$exe" --model=mnist_deep --batch_size=2 --num_batches=1 --num_warmup_batches=0 --num_intra_threads=1 \
     --summary --output_json="$dir/s.json" > "$dir/summary.txt" 2>&1; then
  cat "$dir/summary.txt"
  exit 1
fi
grep -q "^model summary at batch 2 " "$dir/summary.txt" || { cat "$dir/summary.txt"; exit 1; }
grep -Eq "^0 +Conv2D +28x28x32 +832 " "$dir/summary.txt" || { echo "no row for the first convolution"; cat "$dir/summary.txt"; exit 1; }
grep -Eq "^total +[0-9]+ layers +[0-9]+ " "$dir/summary.txt" || { echo "no totals row"; exit 1; }
python3 "$validator" "$schema" "$dir/s.json"
python3 - "$dir/s.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
layers = doc["model_layers"]
total = sum(l["parameters"] for l in layers)
if total != doc["model"]["parameters"] or layers[0]["path"] != "0" or layers[0]["output"] != [28, 28, 32]:
    print(f"model_layers disagree with the model: {total} parameters against {doc['model']['parameters']}, first {layers[0]}")
    sys.exit(1)
PY
echo "result files of a real run: JSON follows the schema, CSV has one row per repetition; --summary's layers"

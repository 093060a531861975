#!/usr/bin/env bash
# no_avx512_outside_tables.sh PROGRAM: the machine code of a program linked with
# tinycnn::dispatch may hold AVX-512 instructions only in functions compiled for the AVX-512
# table (namespace ...::isa_avx512::, OpenMP's outlined parts of them included). Anywhere else
# they would run on CPUs without AVX-512 and stop the program with SIGILL: that happens when the
# linker keeps the AVX-512 file's copy of a function that baseline code calls too.
# An AVX-512 instruction is one with the EVEX prefix (first opcode byte 0x62, which is no
# instruction of its own in 64-bit mode) or a mask-register instruction (k...). Functions local
# to their file (static ones, and clang's OpenMP outlined parts, .omp_outlined..N) are exempt:
# the linker never merges them, so only their own file's code calls them.
set -euo pipefail
program=${1:?usage: no_avx512_outside_tables.sh PROGRAM}
locals=$(mktemp)
trap 'rm -f "$locals"' EXIT
nm --defined-only "$program" | awk '$2 == "t" { print $3 }' > "$locals"
report=$(objdump -d "$program" | awk -F'\t' -v locals="$locals" '
  BEGIN { while ((getline name < locals) > 0) local_fn[name] = 1 }
  /^[0-9a-f]+ <.*>:$/ { fn = substr($0, index($0, "<") + 1); sub(/>:$/, "", fn); next }
  NF >= 3 {
    bytes = $2; sub(/^ +/, "", bytes); op = $3; sub(/^ +/, "", op)
    if (bytes ~ /^(67 )?62 / || op ~ /^k(mov|and|or|xor|xnor|not|shift|test|add|unpck)/) {
      if (fn ~ /isa_avx512/) inside[fn] = 1; else if (fn in local_fn) exempt[fn] = 1; else outside[fn] = 1
    }
  }
  END {
    for (f in inside) n_in++
    for (f in exempt) n_local++
    for (f in outside) { n_out++; print "outside: " f }
    printf "functions with AVX-512 instructions: %d in the AVX-512 table, %d local to a file, %d elsewhere\n", n_in, n_local, n_out
  }')
echo "$report" | sed -n '/^outside: /p' | head -20 | c++filt
summary=$(echo "$report" | tail -1)
echo "$summary"
inside=$(echo "$summary" | sed -E 's/.*: ([0-9]+) in the.*/\1/')
outside=$(echo "$summary" | sed -E 's/.*file, ([0-9]+) elsewhere/\1/')
if [ "${inside:-0}" -eq 0 ]; then
  echo "FAIL: no AVX-512 code at all: the program does not hold the AVX-512 table" >&2
  exit 1
fi
if [ "${outside:-0}" -ne 0 ]; then
  echo "FAIL: AVX-512 instructions outside the AVX-512 table's functions (above)" >&2
  exit 1
fi

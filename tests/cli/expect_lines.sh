# Sourced by the shell tests of the examples: runs a program into $work/NAME.out and checks its
# exit status and how many of its lines match a pattern. The sourcing script sets $work.
failures=0
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }

# run_as NAME COMMAND...: output (stdout and stderr) in $work/NAME.out, exit status in $rc
run_as() {
  name=$1
  shift
  "$@" > "$work/$name.out" 2>&1
  rc=$?
  echo "--- $name (exit $rc)"
  cat "$work/$name.out"
}

# expect NAME STATUS COUNT REGEX: the exit status, and how many lines match
expect() {
  [ "$rc" -eq "$2" ] || fail "$1: exit $rc, expected $2"
  n=$(grep -Ec -- "$4" "$work/$1.out")
  [ "$n" -eq "$3" ] || fail "$1: $n lines match /$4/, expected $3"
}

# finish WHAT: exits 1 naming the failures, or says WHAT passed
finish() {
  [ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
  echo "$1"
}

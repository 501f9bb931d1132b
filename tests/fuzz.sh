#!/bin/sh
# Runs every native fuzz target of the module for $FUZZTIME (a duration
# such as 60s, or an execution count such as 20000x). Called by make
# fuzz-smoke and make fuzz.
#
# A target fails when go test fails and either wrote a new failing input
# under testdata/fuzz/TARGET, or failed for another reason than Go 1.26's
# coordinator deadline race (golang/go#75804: "context deadline exceeded"
# at the end of a duration budget, with no input written).
set -eu
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-20000x}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0
for f in $(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do
	dir=$(dirname "$f")
	for t in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$f"); do
		corpus="$dir/testdata/fuzz/$t"
		before=$(ls "$corpus" 2>/dev/null | wc -l)
		echo "fuzz $dir $t ($FUZZTIME)"
		if "$GO" test -run='^$' -fuzz="^$t\$" -fuzztime="$FUZZTIME" "$dir" >"$log" 2>&1; then
			continue
		fi
		after=$(ls "$corpus" 2>/dev/null | wc -l)
		if [ "$after" -eq "$before" ] && grep -q 'context deadline exceeded' "$log" &&
			! grep -q 'Failing input written' "$log"; then
			echo "  $t: Go fuzz coordinator deadline race (golang/go#75804), no failing input: not a failure"
			continue
		fi
		cat "$log"
		failed=1
	done
done
exit $failed

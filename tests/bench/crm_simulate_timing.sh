#!/bin/sh
# crm_simulate_timing.sh — issue part 7: time Pacemaker 2.1.5's scheduler
# (crm_simulate -x F -G out.xml -Q) and hbd's (BenchmarkScheduler) on the
# generated cold-start CIBs (groups of four; 16 nodes × 100, 400 and 1000
# resources, and with --large 32 nodes × 4000), printing seconds per file
# and the ratio.
#
# usage: tests/bench/crm_simulate_timing.sh [--large] [DIR]
#   DIR keeps the generated CIBs and graphs (default: a temporary directory).
# Run from the repository root. Needs Go; without crm_simulate on PATH
# (Debian package pacemaker-cli-utils) only hbd's times are printed.
set -eu

large=""
case "${1:-}" in
--large) large="--large"; shift ;;
-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
esac
dir="${1:-}"
if [ -z "$dir" ]; then
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir/shadow"

go run ./hbd/cibgen/cmd/gencib --bench $large -o "$dir" >/dev/null

# hbd: one go test run; ns/op per size.
bench_env=""
[ -n "$large" ] && bench_env="HBD_BENCH_LARGE=1"
env $bench_env go test ./hbd/cibgen -run '^$' -bench 'BenchmarkScheduler' -benchtime 5x \
	| awk '/^BenchmarkScheduler\// { split($1, a, "/"); sub(/-[0-9]+$/, "", a[2]); print a[2], $3 / 1e9 }' \
	>"$dir/hbd.txt"

have_crm=yes
command -v crm_simulate >/dev/null 2>&1 || have_crm=no
[ $have_crm = no ] && echo "crm_simulate not installed: printing hbd only" >&2

sizes="16x100 16x400 16x1000"
[ -n "$large" ] && sizes="$sizes 32x4000"
printf '%-18s %14s %12s %10s\n' file crm_simulate hbd ratio
for size in $sizes; do
	name="bench-$size"
	f="$dir/$name.xml"
	hbd=$(awk -v n="$name" '$1 == n { print $2 }' "$dir/hbd.txt")
	crm="-"
	if [ $have_crm = yes ]; then
		start=$(date +%s.%N)
		# LC_ALL=C and a scratch shadow dir, as the regression runner does.
		if LC_ALL=C CIB_shadow_dir="$dir/shadow" timeout 400 \
			crm_simulate -x "$f" -G "$dir/$name.graph.xml" -Q >/dev/null 2>"$dir/$name.err"; then
			crm=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
		else
			rc=$?
			[ $rc -eq 124 ] && crm=">400" || crm="exit$rc"
		fi
	fi
	ratio=$(awk -v c="$crm" -v h="$hbd" 'BEGIN {
		if (h == "" || h + 0 == 0) { print "-"; exit }
		if (c ~ /^>/) { printf ">%.0fx", substr(c, 2) / h; exit }
		if (c + 0 > 0) printf "%.0fx", c / h; else print "-" }')
	[ -n "$hbd" ] && hbd=$(awk -v h="$hbd" 'BEGIN { printf "%.4f", h }')
	printf '%-18s %13ss %11ss %10s\n' "$name" "$crm" "${hbd:--}" "$ratio"
done

#!/bin/sh
# CI smoke of the fuzz targets: builds every target, seeds the corpora
# (seed-corpora.sh), and runs each target for a few seconds; fails on the
# first crash, hang, OOM or leak. Not a substitute for long runs
# (README.md): a regression guard that keeps every target building and
# every harness invariant holding on its seeds.
#
# Built for CI minutes, not for speed of execution: without a sanitizer
# (`-s none`: the targets are safe Rust, where libFuzzer catches panics by
# itself, and ASan over the dependencies, aws-lc's C code above all, costs
# more build than a 5 s run repays), and unoptimised without debuginfo
# (`--dev`, debug assertions on; a panic still names its file and line).
# A release build took about twice the CPU (README.md, "CI smoke"). The
# long runs use ASan and release builds.
#
# SMOKE_SECONDS (default 5) sets each target's run.
set -eu
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1 CARGO_PROFILE_DEV_DEBUG=false
seconds=${SMOKE_SECONDS:-5}
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi
start=$(date +%s)
cargo fuzz build -s none --dev
built=$(date +%s)
./seed-corpora.sh
mkdir -p logs
for t in $(cargo fuzz list); do
  mkdir -p "corpus/$t"
  echo "fuzz smoke: $t (${seconds}s)"
  cargo fuzz run -s none --dev "$t" "corpus/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    2>"logs/smoke-$t.log" || { tail -n 60 "logs/smoke-$t.log" >&2; echo "fuzz smoke: $t failed" >&2; exit 1; }
  grep -E '^stat::number_of_executed_units' "logs/smoke-$t.log" || true
done
end=$(date +%s)
echo "fuzz smoke: build $((built - start)) s, runs $((end - built)) s"

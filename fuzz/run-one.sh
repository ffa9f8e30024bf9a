#!/usr/bin/env bash
# Runs one fuzz target for at most $2 seconds (default 600), stopping early
# after 300 seconds without new coverage. Log in fuzz/logs/TARGET.log,
# failing inputs in fuzz/artifacts/TARGET/.
set -u
t=$1; max=${2:-600}
cd "$(dirname "$0")"
mkdir -p logs artifacts/$t
log=logs/$t.log
cargo +stable fuzz build -s none "$t" >"$log" 2>&1 || exit 1
# Its own process group, so that everything it started can be stopped.
setsid nice -n 19 cargo +stable fuzz run -s none "$t" corpus/$t seeds/$t -- \
    -max_total_time=$max -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=artifacts/$t/ >>"$log" 2>&1 &
pid=$!
start=$(date +%s); last=$start; lines=0; ended=0
while kill -0 $pid 2>/dev/null; do
    sleep 10
    n=$(grep -c -E '#[0-9]+\s+(NEW|REDUCE)' "$log")
    now=$(date +%s)
    # The clock starts once libFuzzer runs.
    grep -q INITED "$log" || last=$now
    if [ "$n" != "$lines" ]; then lines=$n; last=$now; fi
    if [ $((now - last)) -ge 300 ]; then
        echo "no new coverage for 300 s: stopping" >>"$log"
        kill -INT -- -$pid 2>/dev/null
        last=$now
    fi
    # After a finding cargo-fuzz reruns the input to print it, which never
    # ends for a timeout: stop it.
    if grep -q 'SUMMARY: libFuzzer' "$log"; then
        ended=$((ended + 1))
        [ $ended -ge 3 ] && kill -KILL -- -$pid 2>/dev/null
    fi
done
wait $pid; rc=$?
echo "exit $rc after $(( $(date +%s) - start )) s" >>"$log"

#!/usr/bin/env bash
# Runs one fuzz target for at most $2 seconds (default 600), stopping early
# after 300 seconds without new coverage. Log in fuzz/logs/TARGET.log.
set -u
t=$1; max=${2:-600}
cd "$(dirname "$0")"
mkdir -p logs artifacts/$t
log=logs/$t.log
nice -n 19 cargo +stable fuzz run -s none "$t" corpus/$t seeds/$t -- \
    -max_total_time=$max -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=artifacts/$t/ >"$log" 2>&1 &
pid=$!
start=$(date +%s); last=$start; lines=0
while kill -0 $pid 2>/dev/null; do
    sleep 10
    n=$(grep -c -E '#[0-9]+\s+(NEW|REDUCE)' "$log")
    now=$(date +%s)
    if [ "$n" != "$lines" ]; then lines=$n; last=$now; fi
    if [ $((now - last)) -ge 300 ]; then
        echo "no new coverage for 300 s: stopping" >>"$log"
        pkill -INT -P $pid 2>/dev/null; kill -INT $pid 2>/dev/null
        sleep 5
    fi
done
wait $pid; rc=$?
echo "exit $rc after $(( $(date +%s) - start )) s" >>"$log"

#!/usr/bin/env bash
# How fast the console's pages load with 1,000,000 jobs in daap.jobs.
#   bench/console/pages.sh [N]     (scripts/bench-console runs it on a throwaway server)
# Seeds DATABASE_URL (TRUNCATEs daap.jobs: point it only at a server you can throw away) with
# 1,000,000 jobs across 5 queues and every state (unless it holds them from a previous run), finished ones spread over the last 7 days,
# starts `daapctl console` on a free loopback port, then loads each page N times (default 30)
# with curl and prints the median and the 95th percentile, with the conditions, and the worst
# cases: the overview's first load and --overview-max-age 0, and a filter that matches nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
daapctl=$root/build/worker/daapctl/daapctl
n=${1:-30}
: "${DATABASE_URL:?set DATABASE_URL (or run scripts/bench-console)}"

"$daapctl" migrate up >&2
# A second run on the same server keeps the jobs the first one seeded.
if [[ $(psql -X -At "$DATABASE_URL" -c "SELECT count(*) FROM daap.jobs WHERE payload ? 'n'") != 1000000 ]]; then
echo "seeding 1,000,000 jobs..." >&2
psql -q -X -v ON_ERROR_STOP=1 "$DATABASE_URL" <<'SQL'
TRUNCATE daap.jobs;
-- g % 1000: 700 succeeded, 100 failed, 50 cancelled, 1 running, 149 available (half due).
INSERT INTO daap.jobs (kind, queue, state, attempt, max_attempts, payload, created_at, run_at,
                       started_at, finished_at, locked_by, lease_expires_at, last_error, errors)
SELECT (ARRAY['mail.send', 'report.build', 'database.provision', 'webhook.post',
              'noop'])[1 + g % 5],
       (ARRAY['default', 'mail', 'reports', 'provision', 'webhooks'])[1 + (g / 7) % 5],
       s.state,
       CASE WHEN s.state = 'available' THEN 0 ELSE 1 END,
       CASE WHEN s.state = 'failed' THEN 1 ELSE 25 END,
       jsonb_build_object('n', g),
       t, CASE WHEN s.state = 'available' AND g % 2 = 0 THEN now() + interval '1 hour' ELSE t END,
       CASE WHEN s.state <> 'available' THEN t END,
       CASE WHEN s.state IN ('succeeded', 'failed', 'cancelled') THEN t END,
       CASE WHEN s.state = 'running' THEN 'bench-worker' END,
       CASE WHEN s.state = 'running' THEN now() + interval '1 hour' END,
       CASE WHEN s.state = 'failed' THEN 'timeout after 30s talking to host ' || g % 97 END,
       CASE WHEN s.state = 'failed'
            THEN jsonb_build_array(jsonb_build_object('attempt', 1, 'at', t, 'error', 'timeout'))
            ELSE '[]' END
  FROM generate_series(1, 1000000) AS g
 CROSS JOIN LATERAL (SELECT CASE WHEN g % 1000 < 700 THEN 'succeeded'
                                 WHEN g % 1000 < 800 THEN 'failed'
                                 WHEN g % 1000 < 850 THEN 'cancelled'
                                 WHEN g % 1000 < 851 THEN 'running'
                                 ELSE 'available' END AS state) AS s
 CROSS JOIN LATERAL (SELECT now() - (1000000 - g) * interval '604 milliseconds' AS t) AS times;
VACUUM ANALYZE daap.jobs;
SQL
fi

out=$(mktemp)
pid=
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
# Starts a console with the given flags; sets base (its URL) and cookie (a session).
start_console() {
  [[ -z $pid ]] || { kill "$pid"; wait "$pid" || true; }
  : >"$out"
  "$daapctl" console --addr 127.0.0.1:0 "$@" >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q '^console listening on ' "$out" && break; sleep 0.1; done
  base=$(sed -n 's/^console listening on \(.*\)\/$/\1/p' "$out")
  [[ -n $base ]] || { cat "$out" >&2; exit 1; }
  cookie=$(curl -s -o /dev/null -D - "$base/periodic" | sed -n 's/^Set-Cookie: \([^;]*\).*/\1/ip')
}
job=$(psql -X -At "$DATABASE_URL" -c "SELECT max(id) - 123 FROM daap.jobs")
middle=$(psql -X -At "$DATABASE_URL" -c "SELECT max(id) / 2 FROM daap.jobs")

echo "console page load with 1,000,000 jobs: N=$n per page, curl time_total in ms"
echo "conditions: $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1))," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg) before," \
     "PostgreSQL $(psql -X -At "$DATABASE_URL" -c 'SHOW server_version'), fsync" \
     "$(psql -X -At "$DATABASE_URL" -c 'SHOW fsync')"
# time_page PAGE LABEL: N loads of PAGE, median and 95th percentile.
time_page() {
  local page=$1 label=${2:-$1} codes=() times=() code time
  for _ in $(seq "$n"); do
    read -r code time < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
                            -H "Cookie: $cookie" "$base$page")
    codes+=("$code") times+=("$time")
  done
  if printf '%s\n' "${codes[@]}" | grep -qv '^200$'; then
    printf '%-52s statuses %s\n' "$label" "$(printf '%s\n' "${codes[@]}" | sort -u | xargs)"
    return
  fi
  printf '%s\n' "${times[@]}" | sort -g | awk -v page="$label" '
    { t[NR] = $1 * 1000 }
    END { printf "%-52s %8.1f %8.1f\n", page, t[int((NR + 1) / 2)], t[int(NR * 0.95 + 0.999)] }'
}

printf '%-52s %8s %8s\n' page median p95
start_console
first=$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: $cookie" "$base/")
printf '%-52s %8.1f %8s\n' "/ first load (reads the counts itself)" "$(awk -v t="$first" 'BEGIN { print t * 1000 }')" -
for page in / /jobs "/jobs?state=failed" "/jobs?queue=mail" "/jobs?state=failed&kind=mail.send" \
            "/jobs?before=$middle" "/jobs?since=1h" "/jobs?error=host%2042" "/jobs/$job" \
            /databases /periodic; do
  time_page "$page"
done
# The worst cases, named: counts read on every request, and a filter no job matches (no
# index on kind: the primary key is walked from the newest job to the oldest).
time_page "/jobs?kind=no.such.kind" "/jobs?kind=no.such.kind (matches nothing)"
start_console --overview-max-age 0
time_page / "/ with --overview-max-age 0"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

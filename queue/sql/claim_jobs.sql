-- $1 worker id, $2 queues (text[]), $3 limit, $4 lease in milliseconds, $5-$7 where the
-- previous claim stopped in each queue (smallint[], timestamptz[], bigint[]; NULL elements for
-- none). The claim itself is daap.claim_jobs (migration 011): its plan cannot depend on table
-- statistics.
SELECT id, kind, queue, payload, priority, run_at, attempt, max_attempts, database_id,
       unique_key, timeout_ms
  FROM daap.claim_jobs($1, $2::text[], $3::integer, $4::float8, $5::smallint[],
                       $6::timestamptz[], $7::bigint[])

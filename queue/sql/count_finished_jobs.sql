-- Finished jobs per state for /metrics, table-wide: one index-only walk of jobs_state_id_idx
-- per state (no heap reads once the table is vacuumed; the queue is not in that index, so
-- these counts have no queue). Run after prefer_index_plans.
SELECT s.state,
       (SELECT count(*) FROM daap.jobs AS j WHERE j.state = s.state) AS count
  FROM unnest(ARRAY['succeeded', 'failed', 'cancelled']) WITH ORDINALITY AS s(state, n)
 ORDER BY s.n

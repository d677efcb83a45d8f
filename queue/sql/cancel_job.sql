-- $1 id. An available job is cancelled at once; a running one is asked to stop: its worker
-- hears it on the daap_job_cancel channel (or sees cancel_requested_at at its next heartbeat or
-- failure). Returns the resulting state.
WITH cancelled AS (
  UPDATE daap.jobs
     SET state = CASE WHEN state = 'available' THEN 'cancelled' ELSE state END,
         finished_at = CASE WHEN state = 'available' THEN now() ELSE finished_at END,
         cancel_requested_at = coalesce(cancel_requested_at, now())
   WHERE id = $1 AND state IN ('available', 'running')
  RETURNING id, state
)
SELECT state, CASE WHEN state = 'running' THEN pg_notify('daap_job_cancel', id::text) END
  FROM cancelled

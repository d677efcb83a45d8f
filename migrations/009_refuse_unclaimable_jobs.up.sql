-- A row the table accepts must never make a claim, a listing or a cancel fail: the claim
-- computes on every row it takes (attempt + 1, epoch times), so one hand-written row with
-- run_at = '-infinity' or attempt = max_attempts used to stop every worker. The table now
-- refuses such rows itself, so a plain INSERT reports the problem at enqueue.

-- Rows already there are made valid first. A waiting job whose run_at is not a finite time
-- cannot be scheduled: it fails, saying why (nothing is dropped). Other timestamps that are not
-- finite become now() (they only record when something happened).
UPDATE daap.jobs
   SET state = 'failed',
       finished_at = now(),
       lease_expires_at = NULL,
       last_error = 'run_at ' || run_at::text || ' is not a finite time',
       errors = errors || jsonb_build_array(jsonb_build_object(
                  'attempt', attempt, 'at', now(),
                  'error', 'run_at ' || run_at::text || ' is not a finite time')),
       run_at = now()
 WHERE state = 'available' AND NOT isfinite(run_at);
UPDATE daap.jobs SET run_at = now() WHERE NOT isfinite(run_at);
UPDATE daap.jobs SET created_at = now() WHERE NOT isfinite(created_at);
UPDATE daap.jobs SET started_at = now() WHERE NOT isfinite(started_at);
UPDATE daap.jobs SET finished_at = now() WHERE NOT isfinite(finished_at);
UPDATE daap.jobs SET lease_expires_at = now() WHERE NOT isfinite(lease_expires_at);
UPDATE daap.jobs SET cancel_requested_at = now() WHERE NOT isfinite(cancel_requested_at);
-- Only a running job holds a lease.
UPDATE daap.jobs SET lease_expires_at = NULL
 WHERE state <> 'running' AND lease_expires_at IS NOT NULL;
-- A waiting job with no attempt left would be claimed past its budget: it has failed.
UPDATE daap.jobs
   SET state = 'failed',
       finished_at = now(),
       last_error = 'no attempt left: attempt ' || attempt || ' of max_attempts ' || max_attempts,
       errors = errors || jsonb_build_array(jsonb_build_object(
                  'attempt', attempt, 'at', now(),
                  'error', 'no attempt left: attempt ' || attempt || ' of max_attempts '
                           || max_attempts))
 WHERE state = 'available' AND attempt >= max_attempts;

ALTER TABLE daap.jobs
  ADD CONSTRAINT jobs_run_at_finite CHECK (isfinite(run_at)),
  ADD CONSTRAINT jobs_created_at_finite CHECK (isfinite(created_at)),
  ADD CONSTRAINT jobs_started_at_finite CHECK (isfinite(started_at)),
  ADD CONSTRAINT jobs_finished_at_finite CHECK (isfinite(finished_at)),
  ADD CONSTRAINT jobs_lease_expires_at_finite CHECK (isfinite(lease_expires_at)),
  ADD CONSTRAINT jobs_cancel_requested_at_finite CHECK (isfinite(cancel_requested_at)),
  -- So the claim's attempt + 1 never passes max_attempts nor overflows.
  ADD CONSTRAINT jobs_waiting_has_attempts_left
    CHECK (state <> 'available' OR attempt < max_attempts),
  -- With jobs_running_has_lease: a job holds a lease if and only if it is running, so the
  -- statements that touch many held jobs can fence on the lease alone (see
  -- queue/sql/complete_jobs.sql).
  ADD CONSTRAINT jobs_lease_only_while_running CHECK (lease_expires_at IS NULL OR state = 'running');

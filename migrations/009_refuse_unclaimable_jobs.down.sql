-- The rows the up repaired stay repaired.
ALTER TABLE daap.jobs
  DROP CONSTRAINT jobs_run_at_finite,
  DROP CONSTRAINT jobs_created_at_finite,
  DROP CONSTRAINT jobs_started_at_finite,
  DROP CONSTRAINT jobs_finished_at_finite,
  DROP CONSTRAINT jobs_lease_expires_at_finite,
  DROP CONSTRAINT jobs_cancel_requested_at_finite,
  DROP CONSTRAINT jobs_waiting_has_attempts_left,
  DROP CONSTRAINT jobs_lease_only_while_running;

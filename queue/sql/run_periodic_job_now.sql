-- $1 name. The job enqueued (or the unfinished one an earlier run-now enqueued).
SELECT daap.run_periodic_job_now($1)

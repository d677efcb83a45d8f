DROP FUNCTION daap.delete_jobs(bigint[]);
DROP FUNCTION daap.reschedule_jobs(bigint[], timestamptz);
DROP FUNCTION daap.run_jobs_now(bigint[]);
DROP FUNCTION daap.cancel_jobs(bigint[]);
DROP FUNCTION daap.retry_jobs(bigint[]);

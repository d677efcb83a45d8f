-- $1 when the worker was started, on the server's clock. Seconds from then until the last job
-- finished.
SELECT extract(epoch FROM max(finished_at) - $1::timestamptz)::float8 FROM daap.jobs

DROP FUNCTION daap.claim_jobs(text, text[], integer, double precision, smallint[], timestamptz[],
                              bigint[]);
DROP INDEX daap.jobs_claim_idx;
CREATE INDEX jobs_claim_idx ON daap.jobs (priority, run_at, id) WHERE state = 'available';

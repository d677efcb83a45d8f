-- daap.jobs is a queue: every job is inserted, updated several times (claim, heartbeats,
-- completion) and deleted after its retention, so dead rows pile up far faster than the
-- server-wide autovacuum defaults (vacuum at 20% dead, analyze at 10% changed) expect, and
-- claims then scan bloated indexes. Vacuum and analyze this table after ~1-2% instead.
-- SET takes a SHARE UPDATE EXCLUSIVE lock: enqueues, claims and completions carry on.
ALTER TABLE daap.jobs SET (
  autovacuum_vacuum_scale_factor = 0.01,
  autovacuum_vacuum_insert_scale_factor = 0.02,
  autovacuum_analyze_scale_factor = 0.02
);

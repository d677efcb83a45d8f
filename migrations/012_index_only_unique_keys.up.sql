-- Most jobs have no unique_key, yet every row version of an unfinished job put a NULL entry
-- into the unique-key index: one index insert more on every enqueue, claim, retry and
-- heartbeat. Index only the keys that exist. The enqueue functions' ON CONFLICT names both
-- predicates (migration 010), so they find either index.
DROP INDEX daap.jobs_unique_key_unfinished_key;
CREATE UNIQUE INDEX jobs_unique_key_unfinished_key ON daap.jobs (unique_key)
  WHERE unique_key IS NOT NULL AND state IN ('available', 'running');

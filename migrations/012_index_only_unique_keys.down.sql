DROP INDEX daap.jobs_unique_key_unfinished_key;
CREATE UNIQUE INDEX jobs_unique_key_unfinished_key ON daap.jobs (unique_key)
  WHERE state IN ('available', 'running');

-- Wakes idle workers (jobs made available by an UPDATE, which the insert trigger misses).
SELECT pg_notify('daap_jobs', '')

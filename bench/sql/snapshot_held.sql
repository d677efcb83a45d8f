-- $1 a backend's pid. Whether it holds a snapshot back (its xmin), as an open REPEATABLE READ
-- transaction does after its first query.
SELECT backend_xmin IS NOT NULL FROM pg_stat_activity WHERE pid = $1

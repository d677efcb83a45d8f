-- Ends every session of role $1, on any database, before the role is dropped.
SELECT pg_terminate_backend(pid)
FROM pg_stat_activity
WHERE usename = $1 AND pid <> pg_backend_pid()

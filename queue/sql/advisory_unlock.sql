-- $1 lock key.
SELECT pg_advisory_unlock($1::bigint)

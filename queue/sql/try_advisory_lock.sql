-- $1 lock key. Session-level: held until unlocked or the connection ends.
SELECT pg_try_advisory_lock($1::bigint)

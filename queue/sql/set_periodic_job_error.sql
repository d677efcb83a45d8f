-- $1 name, $2 why it cannot be scheduled (NULL: it can again).
UPDATE daap.periodic_jobs SET last_error = $2 WHERE name = $1

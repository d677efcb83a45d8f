-- A database of the target by name ($1), with its owner and its comment (the ownership mark;
-- the owner can change it). No row: no such database.
SELECT pg_get_userbyid(d.datdba) AS owner, shobj_description(d.oid, 'pg_database') AS mark
FROM pg_database d
WHERE d.datname = $1

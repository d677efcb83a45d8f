-- A role of the target by name ($1), with its comment: the ownership mark of the record that
-- created it. No row: no such role.
SELECT r.rolname, shobj_description(r.oid, 'pg_authid') AS mark
FROM pg_roles r
WHERE r.rolname = $1

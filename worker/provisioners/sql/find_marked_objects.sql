-- Roles and databases named daap_* that carry an ownership mark ('daap:database-id=<id>'), with
-- the record id the mark names: what the provisioner made, for finding orphans.
SELECT 'role' AS kind, r.rolname AS name,
  substr(shobj_description(r.oid, 'pg_authid'), 18) AS database_id
FROM pg_roles r
WHERE r.rolname LIKE 'daap\_%' AND shobj_description(r.oid, 'pg_authid') LIKE 'daap:database-id=%'
UNION ALL
SELECT 'database', d.datname, substr(shobj_description(d.oid, 'pg_database'), 18)
FROM pg_database d
WHERE d.datname LIKE 'daap\_%'
  AND shobj_description(d.oid, 'pg_database') LIKE 'daap:database-id=%'
ORDER BY 1, 2

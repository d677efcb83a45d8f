-- The target's own databases (postgres, template1) that PUBLIC may still connect to, so every
-- tenant could, and whether the current role may change that: a superuser, or a member of the
-- database's owner.
SELECT d.datname,
       r.rolsuper OR pg_has_role(current_user, d.datdba, 'USAGE') AS can_close
FROM pg_database d
JOIN pg_roles r ON r.rolname = current_user
WHERE d.datname IN ('postgres', 'template1')
  AND has_database_privilege('public', d.oid, 'CONNECT')
ORDER BY d.datname

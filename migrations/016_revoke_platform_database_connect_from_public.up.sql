-- CONNECT on a new database is PUBLIC's by default, so every role of the server, a tenant's
-- role made by the postgres provisioner included, could log in to the platform database.
-- Only the role running this migration (the worker's) keeps it; grant it to each upstream
-- service's role after this migration (README: Security).
DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), current_user);
  EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', current_database());
  -- A role that neither owns the database nor is a superuser gets a warning, not an error.
  IF has_database_privilege('public', current_database(), 'CONNECT') THEN
    RAISE EXCEPTION 'cannot revoke CONNECT on database % from PUBLIC as role %',
      current_database(), current_user
      USING HINT = 'Run the migrations as the database''s owner or a superuser.';
  END IF;
END
$$;

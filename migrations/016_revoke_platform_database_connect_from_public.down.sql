DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO PUBLIC', current_database());
  -- The owner's own CONNECT is its by default and stays; another role's grant is taken back.
  IF current_user <> (SELECT pg_get_userbyid(datdba) FROM pg_database
                      WHERE datname = current_database()) THEN
    EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM %I', current_database(), current_user);
  END IF;
END
$$;

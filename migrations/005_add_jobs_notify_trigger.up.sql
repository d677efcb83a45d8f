-- Wakes idle workers (LISTEN daap_jobs) when jobs are inserted: one notification per
-- statement, however many rows it inserts. Polling remains the fallback.
CREATE FUNCTION daap.jobs_notify_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('daap_jobs', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_notify_insert AFTER INSERT ON daap.jobs
  FOR EACH STATEMENT EXECUTE FUNCTION daap.jobs_notify_insert();

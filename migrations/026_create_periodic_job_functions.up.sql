-- The SQL API of periodic jobs (daapctl periodic calls these too): add (or replace), remove,
-- enable, disable, and run now. Errors name the argument (SQLSTATE 22023), a name that is taken
-- (23505) or not found (P0002).

CREATE FUNCTION daap.add_periodic_job(
  name         text,
  schedule     text,
  kind         text,
  payload      jsonb    DEFAULT '{}',
  time_zone    text     DEFAULT 'UTC',
  queue        text     DEFAULT 'default',
  priority     integer  DEFAULT 0,
  max_attempts integer  DEFAULT 25,
  enabled      boolean  DEFAULT true,
  replace      boolean  DEFAULT false
) RETURNS daap.periodic_jobs
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  problem text;
  job daap.periodic_jobs;
BEGIN
  IF name IS NULL OR name !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' THEN
    RAISE EXCEPTION 'daap.add_periodic_job: name must be 1 to 100 letters, digits, ''.'', ''_'' '
      'or ''-'', starting with a letter or digit, got %', coalesce(quote_literal(name), 'null')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  problem := daap.cron_schedule_error(add_periodic_job.schedule);
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'daap.add_periodic_job: schedule: %', problem
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF time_zone IS NULL OR NOT EXISTS (SELECT 1 FROM pg_timezone_names AS z
                                       WHERE z.name = add_periodic_job.time_zone) THEN
    RAISE EXCEPTION 'daap.add_periodic_job: time_zone % is not in the tz database (use an IANA '
      'name such as UTC or Europe/Berlin)', coalesce(quote_literal(time_zone), 'null')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF kind IS NULL OR btrim(kind) = '' THEN
    RAISE EXCEPTION 'daap.add_periodic_job: kind must be a non-empty text'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF payload IS NULL OR jsonb_typeof(payload) <> 'object' THEN
    RAISE EXCEPTION 'daap.add_periodic_job: payload must be a JSON object, got %',
      coalesce(jsonb_typeof(payload), 'null')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF queue IS NULL OR btrim(queue) = '' THEN
    RAISE EXCEPTION 'daap.add_periodic_job: queue must be a non-empty text'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF priority IS NULL OR priority NOT BETWEEN -32768 AND 32767 THEN
    RAISE EXCEPTION 'daap.add_periodic_job: priority must be an integer between -32768 and '
      '32767, got %', coalesce(priority::text, 'null')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF max_attempts IS NULL OR max_attempts < 1 THEN
    RAISE EXCEPTION 'daap.add_periodic_job: max_attempts must be at least 1, got %',
      coalesce(max_attempts::text, 'null')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF enabled IS NULL OR replace IS NULL THEN
    RAISE EXCEPTION 'daap.add_periodic_job: enabled and replace must be true or false'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  INSERT INTO daap.periodic_jobs AS p
    (name, schedule, time_zone, kind, payload, queue, priority, max_attempts, enabled)
  VALUES (add_periodic_job.name, add_periodic_job.schedule, add_periodic_job.time_zone,
          add_periodic_job.kind, add_periodic_job.payload, add_periodic_job.queue,
          add_periodic_job.priority, add_periodic_job.max_attempts, add_periodic_job.enabled)
  ON CONFLICT (name) DO UPDATE
     SET schedule = EXCLUDED.schedule, time_zone = EXCLUDED.time_zone, kind = EXCLUDED.kind,
         payload = EXCLUDED.payload, queue = EXCLUDED.queue, priority = EXCLUDED.priority,
         max_attempts = EXCLUDED.max_attempts, enabled = EXCLUDED.enabled
   WHERE add_periodic_job.replace
  RETURNING p.* INTO job;
  IF job.name IS NULL THEN
    RAISE EXCEPTION 'daap.add_periodic_job: a periodic job named % exists already (remove it '
      'first, or pass replace => true)', quote_literal(name)
      USING ERRCODE = 'unique_violation';
  END IF;
  RETURN job;
END;
$$;

COMMENT ON FUNCTION daap.add_periodic_job(text, text, text, jsonb, text, text, integer, integer,
                                          boolean, boolean) IS
  'Adds a periodic job: a job of kind (payload, queue, priority, max_attempts) is enqueued each '
  'time the five-field cron schedule fires in time_zone. replace => true changes an existing one '
  'instead of refusing it. Returns the row.';

-- The row of periodic job `name`, locked; raises no_data_found naming it when there is none.
CREATE FUNCTION daap.lock_periodic_job(name text, caller text) RETURNS daap.periodic_jobs
LANGUAGE plpgsql AS $$
DECLARE
  job daap.periodic_jobs;
BEGIN
  SELECT p.* INTO job FROM daap.periodic_jobs AS p WHERE p.name = lock_periodic_job.name
     FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION '%: no periodic job named %', caller, coalesce(quote_literal(name), 'null')
      USING ERRCODE = 'no_data_found';
  END IF;
  RETURN job;
END;
$$;

CREATE FUNCTION daap.remove_periodic_job(name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM daap.lock_periodic_job(name, 'daap.remove_periodic_job');
  DELETE FROM daap.periodic_jobs AS p WHERE p.name = remove_periodic_job.name;
END;
$$;

COMMENT ON FUNCTION daap.remove_periodic_job(text) IS
  'Removes a periodic job; jobs it already enqueued stay.';

-- Enabling counts the schedule from now on (the table's trigger): runs missed while disabled
-- are not made up.
CREATE FUNCTION daap.enable_periodic_job(name text) RETURNS daap.periodic_jobs
LANGUAGE plpgsql AS $$
DECLARE
  job daap.periodic_jobs;
BEGIN
  PERFORM daap.lock_periodic_job(name, 'daap.enable_periodic_job');
  UPDATE daap.periodic_jobs AS p SET enabled = true
   WHERE p.name = enable_periodic_job.name AND NOT p.enabled;
  SELECT p.* INTO job FROM daap.periodic_jobs AS p WHERE p.name = enable_periodic_job.name;
  RETURN job;
END;
$$;

COMMENT ON FUNCTION daap.enable_periodic_job(text) IS
  'Enables a periodic job: it runs from its next scheduled time on (missed runs are not made up).';

CREATE FUNCTION daap.disable_periodic_job(name text) RETURNS daap.periodic_jobs
LANGUAGE plpgsql AS $$
DECLARE
  job daap.periodic_jobs;
BEGIN
  PERFORM daap.lock_periodic_job(name, 'daap.disable_periodic_job');
  UPDATE daap.periodic_jobs AS p SET enabled = false
   WHERE p.name = disable_periodic_job.name AND p.enabled;
  SELECT p.* INTO job FROM daap.periodic_jobs AS p WHERE p.name = disable_periodic_job.name;
  RETURN job;
END;
$$;

COMMENT ON FUNCTION daap.disable_periodic_job(text) IS
  'Disables a periodic job: nothing is enqueued for it until it is enabled again.';

-- One job now, outside the schedule (which it does not change); disabled jobs too. Its unique
-- key is periodic:<name>:now, so asking again while that job is unfinished returns it.
CREATE FUNCTION daap.run_periodic_job_now(name text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  job daap.periodic_jobs;
  job_id bigint;
BEGIN
  job := daap.lock_periodic_job(name, 'daap.run_periodic_job_now');
  job_id := daap.enqueue(kind => job.kind, payload => job.payload, queue => job.queue,
                         priority => job.priority, max_attempts => job.max_attempts,
                         unique_key => 'periodic:' || job.name || ':now');
  UPDATE daap.periodic_jobs AS p SET last_enqueued_at = clock_timestamp(), last_job_id = job_id
   WHERE p.name = job.name;
  RETURN job_id;
END;
$$;

COMMENT ON FUNCTION daap.run_periodic_job_now(text) IS
  'Enqueues a periodic job''s job now and returns its id (the unfinished one of an earlier '
  'run-now, if any); the schedule is unchanged.';

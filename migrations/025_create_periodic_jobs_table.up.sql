-- Recurring jobs: each row enqueues a job of its kind whenever its cron schedule fires in its
-- time zone. The maintenance leader enqueues each due run once, inside its lease-fenced pass
-- (worker/periodic_scheduler.cpp): last_scheduled_at, written in the same transaction as the
-- enqueue, is what makes it once. The table checks its own rows, since admins may write it with
-- plain SQL; the daap.*_periodic_job functions (migration 026) are the API.

-- One field of a cron schedule: the values it selects, or what is wrong with it (error). The
-- same grammar as queue/cron_schedule.cpp, which computes the fire times; no exception blocks,
-- so checking a row opens no subtransaction.
CREATE FUNCTION daap.cron_field(field text, what text, low integer, high integer, names text[],
                                OUT vals integer[], OUT error text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  item text;
  range_text text;
  step_text text;
  bounds text[];
  part text;
  v integer;
  first integer;
  last integer;
  step integer;
BEGIN
  vals := '{}';
  FOREACH item IN ARRAY string_to_array(field, ',') LOOP
    IF item = '' THEN
      error := format('%s field ''%s'': a list item is empty', what, field);
      RETURN;
    END IF;
    range_text := split_part(item, '/', 1);
    step := 1;
    IF strpos(item, '/') > 0 THEN
      step_text := substr(item, strpos(item, '/') + 1);
      IF step_text !~ '^[0-9]{1,9}$' OR step_text::integer < 1 THEN
        error := format('%s field ''%s'': the step ''%s'' must be a whole number of at least 1',
                        what, field, step_text);
        RETURN;
      END IF;
      step := step_text::integer;
    END IF;
    IF range_text = '*' THEN
      first := low;
      last := high;
    ELSE
      bounds := string_to_array(range_text, '-');
      IF cardinality(bounds) > 2 THEN
        error := format('%s field ''%s'': ''%s'' is not a range (A-B)', what, field, range_text);
        RETURN;
      END IF;
      FOR k IN 1..cardinality(bounds) LOOP
        part := bounds[k];
        IF part ~ '^[0-9]{1,9}$' THEN
          v := part::integer;
        ELSIF names IS NOT NULL AND length(part) = 3
              AND array_position(names, lower(part)) IS NOT NULL THEN
          v := low + array_position(names, lower(part)) - 1;
        ELSE
          error := format('%s field ''%s'': ''%s'' is %s', what, field, part,
                          CASE WHEN names IS NULL THEN 'not a number'
                               ELSE 'neither a number nor a name' END);
          RETURN;
        END IF;
        IF v < low OR v > high THEN
          error := format('%s field ''%s'': %s is out of range %s-%s', what, field, v, low, high);
          RETURN;
        END IF;
        IF k = 1 THEN
          first := v;
          -- A/S runs from A to the field's end; a plain A is just A.
          last := CASE WHEN strpos(item, '/') > 0 THEN high ELSE v END;
        ELSE
          last := v;
        END IF;
      END LOOP;
      IF first > last THEN
        error := format('%s field ''%s'': the range %s-%s runs backwards', what, field, first, last);
        RETURN;
      END IF;
    END IF;
    vals := vals || ARRAY(SELECT generate_series(first, last, step));
  END LOOP;
END;
$$;

-- NULL when `schedule` is a valid five-field cron schedule, else what is wrong with it.
CREATE FUNCTION daap.cron_schedule_error(schedule text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  trimmed text := btrim(schedule, E' \t');
  fields text[];
  f record;
  days integer[];
  months integer[];
BEGIN
  IF schedule IS NULL THEN
    RETURN 'a cron schedule is required';
  END IF;
  fields := CASE WHEN trimmed = '' THEN '{}' ELSE regexp_split_to_array(trimmed, E'[ \t]+') END;
  IF cardinality(fields) <> 5 THEN
    RETURN format('a cron schedule has 5 fields (minute hour day-of-month month day-of-week) '
                  'separated by spaces, got %s', cardinality(fields));
  END IF;
  f := daap.cron_field(fields[1], 'minute', 0, 59, NULL);
  IF f.error IS NOT NULL THEN RETURN f.error; END IF;
  f := daap.cron_field(fields[2], 'hour', 0, 23, NULL);
  IF f.error IS NOT NULL THEN RETURN f.error; END IF;
  f := daap.cron_field(fields[3], 'day-of-month', 1, 31, NULL);
  IF f.error IS NOT NULL THEN RETURN f.error; END IF;
  days := f.vals;
  f := daap.cron_field(fields[4], 'month', 1, 12,
                       ARRAY['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct',
                             'nov', 'dec']);
  IF f.error IS NOT NULL THEN RETURN f.error; END IF;
  months := f.vals;
  f := daap.cron_field(fields[5], 'day-of-week', 0, 7,
                       ARRAY['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']);
  IF f.error IS NOT NULL THEN RETURN f.error; END IF;
  -- Only a restricted day of month, combined with every day of the week, can miss every month.
  IF left(fields[3], 1) <> '*' AND left(fields[5], 1) = '*' AND NOT EXISTS (
       SELECT 1 FROM unnest(months) AS m, unnest(days) AS d
        WHERE d <= (ARRAY[31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[m]) THEN
    RETURN format('the schedule never fires: no month in ''%s'' has a day in ''%s''',
                  fields[4], fields[3]);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TABLE daap.periodic_jobs (
  name              text PRIMARY KEY
                    CONSTRAINT periodic_jobs_name_format
                    CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
  schedule          text NOT NULL
                    CONSTRAINT periodic_jobs_schedule_valid
                    CHECK (daap.cron_schedule_error(schedule) IS NULL),
  -- An IANA name; one the tz database lacks is refused by daap.add_periodic_job, and a row
  -- written by hand with one is not scheduled (last_error says why).
  time_zone         text NOT NULL DEFAULT 'UTC'
                    CONSTRAINT periodic_jobs_time_zone_not_blank CHECK (btrim(time_zone) <> ''),
  -- What each run enqueues (as daap.enqueue's arguments).
  kind              text NOT NULL
                    CONSTRAINT periodic_jobs_kind_not_blank CHECK (btrim(kind) <> ''),
  payload           jsonb NOT NULL DEFAULT '{}'
                    CONSTRAINT periodic_jobs_payload_is_object
                    CHECK (jsonb_typeof(payload) = 'object'),
  queue             text NOT NULL DEFAULT 'default'
                    CONSTRAINT periodic_jobs_queue_not_blank CHECK (btrim(queue) <> ''),
  priority          smallint NOT NULL DEFAULT 0,
  max_attempts      integer NOT NULL DEFAULT 25
                    CONSTRAINT periodic_jobs_max_attempts_positive CHECK (max_attempts >= 1),
  enabled           boolean NOT NULL DEFAULT true,
  -- Runs are counted from here: set when the job is added, enabled again, or its schedule or
  -- time zone changes, so none of these runs at once what the schedule "missed" before.
  schedule_from     timestamptz NOT NULL DEFAULT now()
                    CONSTRAINT periodic_jobs_schedule_from_finite CHECK (isfinite(schedule_from)),
  -- The scheduled time of the last run enqueued by the schedule: a run at or before it is never
  -- enqueued again.
  last_scheduled_at timestamptz
                    CONSTRAINT periodic_jobs_last_scheduled_at_finite
                    CHECK (isfinite(last_scheduled_at)),
  -- When a run was last enqueued (by the schedule or run-now), and its job (no foreign key:
  -- finished jobs are pruned).
  last_enqueued_at  timestamptz,
  last_job_id       bigint,
  -- Why the scheduler cannot schedule it (a time zone it does not know); NULL when it can.
  last_error        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- updated_at says when an admin last changed the job, not when it last ran.
CREATE TRIGGER periodic_jobs_set_updated_at
  BEFORE UPDATE OF name, schedule, time_zone, kind, payload, queue, priority, max_attempts, enabled
  ON daap.periodic_jobs
  FOR EACH ROW EXECUTE FUNCTION daap.set_updated_at();

CREATE FUNCTION daap.periodic_jobs_restart_schedule() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.enabled AND NOT OLD.enabled) OR NEW.schedule IS DISTINCT FROM OLD.schedule
     OR NEW.time_zone IS DISTINCT FROM OLD.time_zone THEN
    NEW.schedule_from := now();
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER periodic_jobs_restart_schedule
  BEFORE UPDATE OF schedule, time_zone, enabled ON daap.periodic_jobs
  FOR EACH ROW EXECUTE FUNCTION daap.periodic_jobs_restart_schedule();

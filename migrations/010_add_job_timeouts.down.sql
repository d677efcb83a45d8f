-- Back to 006's enqueue functions, without per-job time limits.
DROP FUNCTION daap.enqueue_many(jsonb);
DROP FUNCTION daap.enqueue(text, jsonb, text, integer, timestamptz, integer, text, uuid, interval);
DROP FUNCTION daap.enqueue_check(text, jsonb, text, integer, timestamptz, integer, text, interval,
                                 text);
ALTER TABLE daap.jobs DROP COLUMN timeout;

-- Shared validation, so both functions name a bad field the same way.
CREATE FUNCTION daap.enqueue_check(kind text, payload jsonb, queue text, priority integer,
                                   max_attempts integer, unique_key text, prefix text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF kind IS NULL OR btrim(kind) = '' THEN
    RAISE EXCEPTION '%kind must be a non-empty text', prefix
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF payload IS NULL OR jsonb_typeof(payload) <> 'object' THEN
    RAISE EXCEPTION '%payload must be a JSON object, got %', prefix,
      coalesce(jsonb_typeof(payload), 'null')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF queue IS NULL OR btrim(queue) = '' THEN
    RAISE EXCEPTION '%queue must be a non-empty text', prefix
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF priority IS NULL OR priority NOT BETWEEN -32768 AND 32767 THEN
    RAISE EXCEPTION '%priority must be an integer between -32768 and 32767, got %', prefix,
      coalesce(priority::text, 'null')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF max_attempts IS NULL OR max_attempts < 1 THEN
    RAISE EXCEPTION '%max_attempts must be at least 1, got %', prefix,
      coalesce(max_attempts::text, 'null')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF unique_key = '' THEN
    RAISE EXCEPTION '%unique_key must be null or a non-empty text', prefix
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END;
$$;

CREATE FUNCTION daap.enqueue(
  kind         text,
  payload      jsonb       DEFAULT '{}',
  queue        text        DEFAULT 'default',
  priority     integer     DEFAULT 0,
  run_at       timestamptz DEFAULT now(),
  max_attempts integer     DEFAULT 25,
  unique_key   text        DEFAULT NULL,
  database_id  uuid        DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  job_id bigint;
BEGIN
  PERFORM daap.enqueue_check(enqueue.kind, enqueue.payload, enqueue.queue, enqueue.priority,
                             enqueue.max_attempts, enqueue.unique_key, 'daap.enqueue: ');
  -- Race-safe deduplication: the insert waits for a concurrent holder of the key to commit
  -- or roll back; when the holder finishes between the insert and the select, go again.
  FOR turn IN 1..100 LOOP
    INSERT INTO daap.jobs AS j
      (kind, payload, queue, priority, run_at, max_attempts, unique_key, database_id)
    VALUES (enqueue.kind, enqueue.payload, enqueue.queue, enqueue.priority,
            coalesce(enqueue.run_at, now()), enqueue.max_attempts, enqueue.unique_key,
            enqueue.database_id)
    ON CONFLICT (unique_key) WHERE state IN ('available', 'running') DO NOTHING
    RETURNING j.id INTO job_id;
    IF job_id IS NOT NULL THEN
      RETURN job_id;
    END IF;
    SELECT j.id INTO job_id FROM daap.jobs AS j
     WHERE j.unique_key = enqueue.unique_key AND j.state IN ('available', 'running');
    IF job_id IS NOT NULL THEN
      RETURN job_id;
    END IF;
  END LOOP;
  RAISE EXCEPTION 'daap.enqueue: unique_key % keeps changing hands; try again', enqueue.unique_key
    USING ERRCODE = 'serialization_failure';
END;
$$;

COMMENT ON FUNCTION daap.enqueue(text, jsonb, text, integer, timestamptz, integer, text, uuid) IS
  'Enqueues one job and returns its id. A unique_key held by an unfinished (available or '
  'running) job returns that job''s id instead. run_at NULL means now.';

CREATE FUNCTION daap.enqueue_many(jobs jsonb) RETURNS bigint[]
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  fields constant text[] := ARRAY['kind', 'payload', 'queue', 'priority', 'run_at',
                                  'max_attempts', 'unique_key', 'database_id'];
  elem jsonb;
  ord bigint;
  prefix text;
  field text;
  unknown text;
  num numeric;
  kinds text[] := '{}';
  payloads jsonb[] := '{}';
  queues text[] := '{}';
  priorities integer[] := '{}';
  run_ats timestamptz[] := '{}';
  max_attempts_list integer[] := '{}';
  unique_keys text[] := '{}';
  database_ids uuid[] := '{}';
  new_ids bigint[];
  inserted bigint[];
  job_ids bigint[];
BEGIN
  IF jobs IS NULL OR jsonb_typeof(jobs) <> 'array' THEN
    RAISE EXCEPTION 'daap.enqueue_many: jobs must be a JSON array of objects, got %',
      coalesce(jsonb_typeof(jobs), 'null')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF jsonb_array_length(jobs) = 0 THEN
    RETURN '{}';
  END IF;

  -- Validate and type every element first; one exception block for the whole loop names
  -- the field whose text did not parse (run_at, database_id).
  BEGIN
    FOR elem, ord IN SELECT e, o - 1 FROM jsonb_array_elements(jobs) WITH ORDINALITY AS t(e, o)
                     ORDER BY o LOOP
      prefix := format('daap.enqueue_many: jobs[%s].', ord);
      IF jsonb_typeof(elem) <> 'object' THEN
        RAISE EXCEPTION 'daap.enqueue_many: jobs[%] must be a JSON object, got %', ord,
          jsonb_typeof(elem)
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      SELECT k INTO unknown FROM jsonb_object_keys(elem) AS k WHERE k <> ALL (fields) LIMIT 1;
      IF unknown IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format(
          '%s%s is not a job field (expected one of %s)', prefix, unknown,
          array_to_string(fields, ', '));
      END IF;
      FOREACH field IN ARRAY ARRAY['kind', 'queue', 'run_at', 'unique_key', 'database_id'] LOOP
        IF jsonb_typeof(elem -> field) NOT IN ('string', 'null') THEN
          RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format(
            '%s%s must be a JSON string, got %s', prefix, field, jsonb_typeof(elem -> field));
        END IF;
      END LOOP;
      FOREACH field IN ARRAY ARRAY['priority', 'max_attempts'] LOOP
        IF jsonb_typeof(elem -> field) NOT IN ('number', 'null') THEN
          RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format(
            '%s%s must be a JSON number, got %s', prefix, field, jsonb_typeof(elem -> field));
        END IF;
        num := (elem ->> field)::numeric;
        IF num <> trunc(num) OR num NOT BETWEEN -2147483648 AND 2147483647 THEN
          RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format(
            '%s%s must be an integer, got %s', prefix, field, num);
        END IF;
      END LOOP;

      kinds := kinds || (elem ->> 'kind');
      payloads := payloads || coalesce(elem -> 'payload', '{}');
      queues := queues || coalesce(elem ->> 'queue', 'default');
      priorities := priorities || coalesce((elem ->> 'priority')::integer, 0);
      max_attempts_list := max_attempts_list || coalesce((elem ->> 'max_attempts')::integer, 25);
      unique_keys := unique_keys || (elem ->> 'unique_key');
      field := 'run_at';
      run_ats := run_ats || coalesce((elem ->> 'run_at')::timestamptz, now());
      field := 'database_id';
      database_ids := database_ids || (elem ->> 'database_id')::uuid;
      field := NULL;
      PERFORM daap.enqueue_check(kinds[ord + 1], payloads[ord + 1], queues[ord + 1],
                                 priorities[ord + 1], max_attempts_list[ord + 1],
                                 unique_keys[ord + 1], prefix);
    END LOOP;
  EXCEPTION
    WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_text_representation THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format(
        '%s%s is not valid: %s', prefix, coalesce(field, '?'), SQLERRM);
  END;

  -- Ids are drawn up front so the result can follow the input order whatever order the
  -- INSERT returns rows in.
  new_ids := ARRAY(SELECT nextval(pg_get_serial_sequence('daap.jobs', 'id')::regclass)
                     FROM generate_series(1, cardinality(kinds)));
  WITH ins AS (
    INSERT INTO daap.jobs AS j
      (id, kind, payload, queue, priority, run_at, max_attempts, unique_key, database_id)
    OVERRIDING SYSTEM VALUE
    SELECT t.id, t.kind, t.payload, t.queue, t.priority, t.run_at, t.max_attempts,
           t.unique_key, t.database_id
      FROM unnest(new_ids, kinds, payloads, queues, priorities, run_ats, max_attempts_list,
                  unique_keys, database_ids) WITH ORDINALITY
           AS t(id, kind, payload, queue, priority, run_at, max_attempts, unique_key,
                database_id, ord)
     ORDER BY t.ord
    ON CONFLICT (unique_key) WHERE state IN ('available', 'running') DO NOTHING
    RETURNING j.id
  )
  SELECT array_agg(ins.id) INTO inserted FROM ins;

  -- Elements not inserted share a unique_key with an unfinished job (maybe an earlier
  -- element): they get its id.
  SELECT array_agg(coalesce(ins.id, held.id) ORDER BY t.ord) INTO job_ids
    FROM unnest(new_ids, unique_keys) WITH ORDINALITY AS t(id, unique_key, ord)
    LEFT JOIN unnest(inserted) AS ins(id) ON ins.id = t.id
    LEFT JOIN daap.jobs AS held
      ON ins.id IS NULL AND held.unique_key = t.unique_key
     AND held.state IN ('available', 'running');

  -- Rare: the holder finished meanwhile; daap.enqueue retries that one element.
  FOR ord IN 1..cardinality(job_ids) LOOP
    IF job_ids[ord] IS NULL THEN
      job_ids[ord] := daap.enqueue(kinds[ord], payloads[ord], queues[ord], priorities[ord],
                                   run_ats[ord], max_attempts_list[ord], unique_keys[ord],
                                   database_ids[ord]);
    END IF;
  END LOOP;
  RETURN job_ids;
END;
$$;

COMMENT ON FUNCTION daap.enqueue_many(jsonb) IS
  'Enqueues a JSON array of jobs (objects with daap.enqueue''s fields; missing fields take its '
  'defaults) in one INSERT and returns their ids in input order.';

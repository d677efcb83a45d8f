-- What an admin does to a queue, from any language: pause it, resume it, cap how many of its jobs
-- run at once across all replicas. Each returns the queue's row as it now is, and creates the row
-- when no job has named the queue yet (so a queue can be paused before its first job arrives).
-- daap.claim_jobs honours both (migration 020).

-- Raises invalid_parameter_value for a queue name no job could carry.
CREATE FUNCTION daap.queue_name_check(name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF name IS NULL OR btrim(name) = '' THEN
    RAISE EXCEPTION 'queue must be a non-empty text' USING ERRCODE = 'invalid_parameter_value';
  END IF;
END;
$$;

-- No replica claims from the queue from its next claim on; jobs already claimed (running, or
-- claimed ahead and about to start) finish. Pausing a paused queue keeps its paused_at.
CREATE FUNCTION daap.pause_queue(name text) RETURNS daap.queues
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  result daap.queues;
BEGIN
  PERFORM daap.queue_name_check(pause_queue.name);
  INSERT INTO daap.queues AS q (name, paused_at) VALUES (pause_queue.name, now())
  ON CONFLICT (name) DO UPDATE SET paused_at = coalesce(q.paused_at, now())
  RETURNING * INTO result;
  RETURN result;
END;
$$;

COMMENT ON FUNCTION daap.pause_queue(text) IS
  'Pauses a queue: no replica claims from it until daap.resume_queue; running jobs finish.';

-- Claims from the queue again, and wakes idle workers (NOTIFY daap_jobs) at once.
CREATE FUNCTION daap.resume_queue(name text) RETURNS daap.queues
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  result daap.queues;
BEGIN
  PERFORM daap.queue_name_check(resume_queue.name);
  INSERT INTO daap.queues AS q (name) VALUES (resume_queue.name)
  ON CONFLICT (name) DO UPDATE SET paused_at = NULL
  RETURNING * INTO result;
  PERFORM pg_notify('daap_jobs', '');
  RETURN result;
END;
$$;

COMMENT ON FUNCTION daap.resume_queue(text) IS
  'Resumes a paused queue and wakes idle workers (NOTIFY daap_jobs).';

-- At most max_running of the queue's jobs run at once across all replicas (jobs claimed ahead
-- of their start count: they are running rows); NULL removes the limit. Lowering it interrupts
-- nothing: the queue takes no new job until fewer than the limit run. Wakes idle workers, since a
-- higher limit may let them claim at once.
CREATE FUNCTION daap.set_queue_limit(name text, max_running integer) RETURNS daap.queues
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  result daap.queues;
BEGIN
  PERFORM daap.queue_name_check(set_queue_limit.name);
  IF set_queue_limit.max_running < 1 THEN
    RAISE EXCEPTION 'max_running must be at least 1 (NULL: no limit; pause the queue to run none), got %',
      set_queue_limit.max_running
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO daap.queues AS q (name, max_running)
  VALUES (set_queue_limit.name, set_queue_limit.max_running)
  ON CONFLICT (name) DO UPDATE SET max_running = excluded.max_running
  RETURNING * INTO result;
  PERFORM pg_notify('daap_jobs', '');
  RETURN result;
END;
$$;

COMMENT ON FUNCTION daap.set_queue_limit(text, integer) IS
  'Caps how many of a queue''s jobs run at once across all replicas (NULL: no limit).';

-- A queue's row appears when a job first names it, however the job was inserted (daap.enqueue,
-- daap.enqueue_many, a plain INSERT, COPY). Once per statement, like the wake-up notification:
-- a bulk insert of 1,000 jobs looks its queues up once, and a queue that has its row costs one
-- primary-key probe per statement and no write. SECURITY DEFINER: a role allowed to insert jobs
-- need not be allowed to write daap.queues. The first insert naming a new queue holds its new row
-- until it commits; another transaction naming the same new queue meanwhile waits for it.
CREATE FUNCTION daap.jobs_register_queues() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  INSERT INTO daap.queues AS q (name)
  SELECT DISTINCT n.queue
    FROM new_jobs AS n
   WHERE NOT EXISTS (SELECT FROM daap.queues AS e WHERE e.name = n.queue)
   -- Two transactions naming the same two new queues take their rows in the same order.
   ORDER BY n.queue
  ON CONFLICT (name) DO NOTHING;
  RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_register_queues AFTER INSERT ON daap.jobs
  REFERENCING NEW TABLE AS new_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION daap.jobs_register_queues();

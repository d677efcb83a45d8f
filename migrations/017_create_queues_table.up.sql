-- Queues as rows an admin can see and steer: whether a queue is paused, and how many of its
-- jobs may run at once across all replicas. A queue gets its row when a job first names it
-- (migration 018), or when an admin pauses or limits it before then. A queue without a row, or
-- with neither a pause nor a limit, is claimed exactly as before.
CREATE TABLE daap.queues (
  name        text PRIMARY KEY CONSTRAINT queues_name_not_blank CHECK (btrim(name) <> ''),
  -- When an admin paused it; NULL while it runs. No replica claims from a paused queue.
  paused_at   timestamptz CONSTRAINT queues_paused_at_finite CHECK (isfinite(paused_at)),
  -- At most this many of its jobs running at once, claimed-ahead ones included; NULL: no limit.
  max_running integer CONSTRAINT queues_max_running_positive CHECK (max_running >= 1),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER queues_set_updated_at BEFORE UPDATE ON daap.queues
  FOR EACH ROW EXECUTE FUNCTION daap.set_updated_at();

-- The queues jobs already name.
INSERT INTO daap.queues (name) SELECT DISTINCT queue FROM daap.jobs;

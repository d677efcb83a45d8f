-- One row per live worker process, kept fresh by its heartbeat; stale rows are pruned by the
-- maintenance leader.
CREATE TABLE daap.workers (
  id           text PRIMARY KEY CONSTRAINT workers_id_not_blank CHECK (btrim(id) <> ''),
  hostname     text NOT NULL,
  pid          integer NOT NULL,
  version      text NOT NULL,
  queues       text[] NOT NULL,
  concurrency  integer NOT NULL CONSTRAINT workers_concurrency_positive CHECK (concurrency >= 1),
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);

-- The stale-worker pruner.
CREATE INDEX workers_heartbeat_at_idx ON daap.workers (heartbeat_at);

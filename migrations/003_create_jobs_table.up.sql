-- The job queue: one row per request to the workers. Upstream services insert rows (plain
-- INSERT or daap.enqueue); workers claim them with FOR UPDATE SKIP LOCKED.
CREATE TABLE daap.jobs (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind                text NOT NULL
                      CONSTRAINT jobs_kind_not_blank CHECK (btrim(kind) <> ''),
  queue               text NOT NULL DEFAULT 'default'
                      CONSTRAINT jobs_queue_not_blank CHECK (btrim(queue) <> ''),
  payload             jsonb NOT NULL DEFAULT '{}'
                      CONSTRAINT jobs_payload_is_object CHECK (jsonb_typeof(payload) = 'object'),
  state               text NOT NULL DEFAULT 'available'
                      CONSTRAINT jobs_state_known
                      CHECK (state IN ('available', 'running', 'succeeded', 'failed', 'cancelled')),
  -- Lower runs first.
  priority            smallint NOT NULL DEFAULT 0,
  -- Attempts spent: incremented by the claim, so 1 during the first run.
  attempt             integer NOT NULL DEFAULT 0
                      CONSTRAINT jobs_attempt_not_negative CHECK (attempt >= 0),
  max_attempts        integer NOT NULL DEFAULT 25
                      CONSTRAINT jobs_max_attempts_positive CHECK (max_attempts >= 1),
  run_at              timestamptz NOT NULL DEFAULT now(),
  created_at          timestamptz NOT NULL DEFAULT now(),
  started_at          timestamptz,
  finished_at         timestamptz,
  -- The worker holding (or that last held) the job, and until when it holds it.
  locked_by           text,
  lease_expires_at    timestamptz,
  last_error          text,
  -- One {attempt, at, error} object per failed attempt, oldest first.
  errors              jsonb NOT NULL DEFAULT '[]'
                      CONSTRAINT jobs_errors_is_array CHECK (jsonb_typeof(errors) = 'array'),
  result              jsonb,
  -- No two unfinished jobs share a unique_key (see jobs_unique_key_unfinished_key).
  unique_key          text,
  database_id         uuid REFERENCES daap.databases (id) ON DELETE SET NULL,
  cancel_requested_at timestamptz,
  CONSTRAINT jobs_running_has_lease
    CHECK (state <> 'running' OR (locked_by IS NOT NULL AND lease_expires_at IS NOT NULL)),
  CONSTRAINT jobs_finished_has_finished_at
    CHECK ((state IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL))
);

-- The claim: available jobs in (priority, run_at, id) order.
CREATE INDEX jobs_claim_idx ON daap.jobs (priority, run_at, id) WHERE state = 'available';
-- The enqueue's deduplication (ON CONFLICT target): one unfinished job per unique_key.
CREATE UNIQUE INDEX jobs_unique_key_unfinished_key ON daap.jobs (unique_key)
  WHERE state IN ('available', 'running');
-- The rescuer: expired leases.
CREATE INDEX jobs_lease_expires_at_idx ON daap.jobs (lease_expires_at) WHERE state = 'running';
-- The pruner: finished jobs past their retention.
CREATE INDEX jobs_finished_at_idx ON daap.jobs (finished_at)
  WHERE state IN ('succeeded', 'failed', 'cancelled');
-- The jobs of one database record (and ON DELETE SET NULL).
CREATE INDEX jobs_database_id_idx ON daap.jobs (database_id) WHERE database_id IS NOT NULL;

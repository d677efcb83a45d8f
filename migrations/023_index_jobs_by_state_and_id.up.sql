-- Admin listings and bulk selections filter by state and walk ids (newest first, or keyset in
-- batches): without this, `jobs list --state failed` on a big table walked the primary key
-- backwards past every job of the other states. Costs one index entry per row version.
CREATE INDEX jobs_state_id_idx ON daap.jobs (state, id);

-- Refused while a record is degraded: decide about it first (it is ready again once a
-- reconcile finds it whole, or delete it).
ALTER TABLE daap.databases DROP CONSTRAINT databases_status_known;
ALTER TABLE daap.databases ADD CONSTRAINT databases_status_known
  CHECK (status IN ('provisioning', 'ready', 'error', 'deleting', 'deleted'));

-- A ready record whose database, role or secret no longer matches what the provisioner made
-- (found by database.reconcile) is 'degraded', with error_message saying what is missing; it
-- goes back to 'ready' when a later reconcile finds it whole, or on to 'deleting'.
ALTER TABLE daap.databases DROP CONSTRAINT databases_status_known;
ALTER TABLE daap.databases ADD CONSTRAINT databases_status_known
  CHECK (status IN ('provisioning', 'ready', 'degraded', 'error', 'deleting', 'deleted'));

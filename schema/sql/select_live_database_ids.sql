-- Ids of every record that is not deleted (provisioning, ready, degraded, error, deleting).
SELECT id::text FROM daap.databases WHERE status <> 'deleted'

-- One record by id ($1), locked until the caller's transaction ends, so a status check and
-- the change that follows it cannot interleave with another writer.
SELECT id, name, owner_team, purpose, namespace, cluster_name, pooler_name, status, host, port,
  secret_name, error_message,
  (extract(epoch FROM created_at) * 1000000)::bigint AS created_at_us,
  (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_at_us,
  (extract(epoch FROM deleted_at) * 1000000)::bigint AS deleted_at_us
FROM daap.databases
WHERE id = $1::uuid
FOR UPDATE

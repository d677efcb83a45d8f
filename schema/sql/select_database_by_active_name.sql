-- The record (at most one) that holds name $1 and is not deleted.
SELECT id, name, owner_team, purpose, namespace, cluster_name, pooler_name, status, host, port,
  secret_name, error_message,
  (extract(epoch FROM created_at) * 1000000)::bigint AS created_at_us,
  (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_at_us,
  (extract(epoch FROM deleted_at) * 1000000)::bigint AS deleted_at_us
FROM daap.databases
WHERE name = $1 AND deleted_at IS NULL

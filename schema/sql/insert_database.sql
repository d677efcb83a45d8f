-- Creates a provisioning record; no row comes back when an active record has the name, or
-- in the namespace the Cluster or Pooler name it derives (a row another service wrote).
-- ON CONFLICT instead of catching 23505 keeps the caller's transaction usable.
-- $1 name, $2 owner_team, $3 purpose, $4 namespace. Timestamps as epoch microseconds (exact).
INSERT INTO daap.databases (name, owner_team, purpose, namespace)
VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING
RETURNING id, name, owner_team, purpose, namespace, cluster_name, pooler_name, status, host, port,
  secret_name, error_message,
  (extract(epoch FROM created_at) * 1000000)::bigint AS created_at_us,
  (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_at_us,
  (extract(epoch FROM deleted_at) * 1000000)::bigint AS deleted_at_us

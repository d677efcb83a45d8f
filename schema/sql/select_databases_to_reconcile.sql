-- The records a reconcile checks: ready and degraded, oldest first.
SELECT id, name, owner_team, purpose, namespace, cluster_name, pooler_name, status, host, port,
  secret_name, error_message,
  (extract(epoch FROM created_at) * 1000000)::bigint AS created_at_us,
  (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_at_us,
  (extract(epoch FROM deleted_at) * 1000000)::bigint AS deleted_at_us
FROM daap.databases
WHERE status IN ('ready', 'degraded')
ORDER BY created_at, id

-- Changes owner_team ($2) and/or purpose ($3) of record $1 while it is not being deleted; a
-- NULL keeps the current value. No row: the record does not exist or is deleting/deleted.
UPDATE daap.databases
SET owner_team = coalesce($2, owner_team),
    purpose = coalesce($3, purpose)
WHERE id = $1::uuid AND status NOT IN ('deleting', 'deleted')
RETURNING id, name, owner_team, purpose, namespace, cluster_name, pooler_name, status, host, port,
  secret_name, error_message,
  (extract(epoch FROM created_at) * 1000000)::bigint AS created_at_us,
  (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_at_us,
  (extract(epoch FROM deleted_at) * 1000000)::bigint AS deleted_at_us

-- Moves record $1 to status $2 with the given error_message ($3) and connection details
-- ($4 host, $5 port, $6 secret_name); the caller checked the lifecycle under a row lock.
-- deleted_at is set exactly when the status becomes deleted (the table's CHECK wants both).
UPDATE daap.databases
SET status = $2,
    error_message = $3,
    host = $4,
    port = $5,
    secret_name = $6,
    deleted_at = CASE WHEN $2::text = 'deleted' THEN now() END
WHERE id = $1::uuid
RETURNING id, name, owner_team, purpose, namespace, cluster_name, pooler_name, status, host, port,
  secret_name, error_message,
  (extract(epoch FROM created_at) * 1000000)::bigint AS created_at_us,
  (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_at_us,
  (extract(epoch FROM deleted_at) * 1000000)::bigint AS deleted_at_us

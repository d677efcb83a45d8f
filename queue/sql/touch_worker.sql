-- $1 id.
UPDATE daap.workers SET heartbeat_at = now() WHERE id = $1

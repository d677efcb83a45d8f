-- $1 stale after, in ms.
DELETE FROM daap.workers WHERE heartbeat_at < now() - $1::float8 * interval '1 millisecond'

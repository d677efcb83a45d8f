-- $1 lock key. Whether this session still holds it (a bigint key is split into classid,
-- objid with objsubid 1).
SELECT EXISTS (
  SELECT FROM pg_locks
   WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND classid = ($1::bigint >> 32)::oid
     AND objid = ($1::bigint & 4294967295)::oid
     AND objsubid = 1)

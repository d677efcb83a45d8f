-- A page of records ordered by created_at then id, after the keyset cursor: no OFFSET, each
-- page is a range scan of the (created_at, id) index. Every filter is optional (NULL = none):
-- $1 owner_team, $2 status, $3 namespace, $4 name substring (LIKE wildcards already escaped
-- with a backslash), $5 include deleted records.
-- Cursor ($6, $7 both NULL on the first page): the last row's created_at in epoch microseconds
-- (exact, whatever the session's TimeZone or DateStyle) and its id.
-- $8 the page size (callers ask one row more than they return, to learn whether more follow).
SELECT id, name, owner_team, purpose, namespace, cluster_name, pooler_name, status, host, port,
  secret_name, error_message,
  (extract(epoch FROM created_at) * 1000000)::bigint AS created_at_us,
  (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_at_us,
  (extract(epoch FROM deleted_at) * 1000000)::bigint AS deleted_at_us
FROM daap.databases
WHERE ($1::text IS NULL OR owner_team = $1)
  AND ($2::text IS NULL OR status = $2)
  AND ($3::text IS NULL OR namespace = $3)
  AND ($4::text IS NULL OR name ILIKE ('%' || $4 || '%') ESCAPE '\')
  AND ($5::boolean OR deleted_at IS NULL)
  AND ($6::bigint IS NULL OR (created_at, id) >
       -- Whole seconds and microseconds apart: interval * number goes through a double.
       (timestamptz 'epoch' + ($6::bigint / 1000000) * interval '1 second'
                            + ($6::bigint % 1000000) * interval '1 microsecond', $7::uuid))
ORDER BY created_at, id
LIMIT $8

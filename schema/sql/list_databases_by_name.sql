-- A page of records ordered by name then id, after the keyset cursor: no OFFSET, each page is
-- a range scan of the (name, id) index. Every filter is optional (NULL = none):
-- $1 owner_team, $2 status, $3 namespace, $4 name substring (LIKE wildcards already escaped
-- with a backslash), $5 include deleted records.
-- Cursor ($6, $7 both NULL on the first page): the last row's name and its id (names repeat
-- among deleted records, so the id breaks ties).
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
  AND ($6::text IS NULL OR (name, id) > ($6::text, $7::uuid))
ORDER BY name, id
LIMIT $8

-- $1 id.
DELETE FROM daap.workers WHERE id = $1

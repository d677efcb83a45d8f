-- $1 unique_key. The unfinished job holding it, if any.
SELECT id FROM daap.jobs WHERE unique_key = $1 AND state IN ('available', 'running')

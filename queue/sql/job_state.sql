-- $1 id. Its state, to explain why an admin operation did not apply.
SELECT state, unique_key FROM daap.jobs WHERE id = $1

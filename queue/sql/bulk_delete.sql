-- $1 job ids (bigint[]). daap.delete_jobs (migration 022): one row per distinct id, in id order.
SELECT id, old_state, new_state, reason FROM daap.delete_jobs($1::bigint[])

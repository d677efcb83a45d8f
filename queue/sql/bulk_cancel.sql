-- $1 job ids (bigint[]). daap.cancel_jobs (migration 022): one row per distinct id, in id order.
SELECT id, old_state, new_state, reason FROM daap.cancel_jobs($1::bigint[])

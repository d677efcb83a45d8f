-- $1 job ids (bigint[]). daap.run_jobs_now (migration 022): one row per distinct id, in id order.
SELECT id, old_state, new_state, reason FROM daap.run_jobs_now($1::bigint[])

DROP INDEX daap.jobs_state_id_idx;

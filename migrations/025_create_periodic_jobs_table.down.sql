DROP TABLE daap.periodic_jobs;
DROP FUNCTION daap.periodic_jobs_restart_schedule();
DROP FUNCTION daap.cron_schedule_error(text);
DROP FUNCTION daap.cron_field(text, text, integer, integer, text[]);

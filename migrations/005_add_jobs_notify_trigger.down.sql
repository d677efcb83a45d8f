DROP TRIGGER jobs_notify_insert ON daap.jobs;
DROP FUNCTION daap.jobs_notify_insert();

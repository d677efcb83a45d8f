DROP TRIGGER jobs_register_queues ON daap.jobs;
DROP FUNCTION daap.jobs_register_queues();

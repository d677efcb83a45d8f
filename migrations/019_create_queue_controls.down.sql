DROP FUNCTION daap.set_queue_limit(text, integer);
DROP FUNCTION daap.resume_queue(text);
DROP FUNCTION daap.pause_queue(text);
DROP FUNCTION daap.queue_name_check(text);

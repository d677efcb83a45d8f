DROP FUNCTION daap.enqueue_many(jsonb);
DROP FUNCTION daap.enqueue(text, jsonb, text, integer, timestamptz, integer, text, uuid);
DROP FUNCTION daap.enqueue_check(text, jsonb, text, integer, integer, text, text);

DROP VIEW daap.queue_overview;

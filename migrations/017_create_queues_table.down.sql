DROP TABLE daap.queues;

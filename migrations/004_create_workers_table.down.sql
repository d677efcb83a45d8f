DROP TABLE daap.workers;

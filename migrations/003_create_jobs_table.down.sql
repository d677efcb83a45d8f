DROP TABLE daap.jobs;

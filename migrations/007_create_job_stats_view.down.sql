DROP VIEW daap.job_stats;

-- $1 how many. One plain INSERT of that many noop jobs, as an upstream burst would arrive.
INSERT INTO daap.jobs (kind) SELECT 'noop' FROM generate_series(1, $1::int)

-- $1 how many. That many ready databases records of the bench's owner team, and one
-- database.update job for each, changing both its owner team and its purpose.
WITH records AS (
  INSERT INTO daap.databases (name, owner_team, status, host, port, secret_name)
  SELECT 'bench-' || g, 'daap-bench', 'ready', 'bench.invalid', 5432, 'bench-' || g
    FROM generate_series(1, $1::int) g
  RETURNING id
)
INSERT INTO daap.jobs (kind, payload, database_id)
SELECT 'database.update',
       jsonb_build_object('database_id', id, 'owner_team', 'daap-bench-updated',
                          'purpose', 'updated by daap-bench'),
       id
  FROM records

-- How many records a database.update drain (fill_update_jobs) has changed.
SELECT count(*)
  FROM daap.databases
 WHERE owner_team = 'daap-bench-updated' AND purpose = 'updated by daap-bench'

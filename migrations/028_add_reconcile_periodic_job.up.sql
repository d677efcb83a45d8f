-- Every 10 minutes, database.reconcile checks every ready (and degraded) record against what
-- its provisioner finds. Admins may disable it (daap.disable_periodic_job('reconcile-databases'))
-- or change its schedule; at most 3 attempts, since the next run comes soon anyway.
INSERT INTO daap.periodic_jobs (name, schedule, kind, payload, max_attempts)
VALUES ('reconcile-databases', '*/10 * * * *', 'database.reconcile', '{}', 3);

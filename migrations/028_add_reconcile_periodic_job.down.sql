DELETE FROM daap.periodic_jobs WHERE name = 'reconcile-databases';

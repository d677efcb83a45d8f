-- $1 name.
SELECT daap.remove_periodic_job($1)

-- $1 kind, $2 payload, $3 queue, $4 priority, $5 run_at (NULL: now), $6 max_attempts,
-- $7 unique_key, $8 database_id, $9 timeout in ms (NULL: the kind's default). Returns the job's id (or the unfinished holder's of the key).
SELECT daap.enqueue(kind => $1, payload => $2::jsonb, queue => $3, priority => $4::integer,
                    run_at => $5::timestamptz, max_attempts => $6::integer,
                    unique_key => $7, database_id => $8::uuid,
                    timeout => $9::float8 * interval '1 millisecond') AS id

-- $1 id. A failed or cancelled job runs again now with a fresh attempt budget; its error
-- history is kept. Not while another unfinished job holds its unique_key.
UPDATE daap.jobs AS j
   SET state = 'available',
       attempt = 0,
       run_at = now(),
       started_at = NULL,
       finished_at = NULL,
       lease_expires_at = NULL,
       cancel_requested_at = NULL,
       result = NULL
 WHERE j.id = $1 AND j.state IN ('failed', 'cancelled')
   AND NOT EXISTS (SELECT FROM daap.jobs AS o
                    WHERE o.unique_key = j.unique_key AND o.state IN ('available', 'running'))
RETURNING j.id

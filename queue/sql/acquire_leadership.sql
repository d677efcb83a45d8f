-- $1 name, $2 holder, $3 time to live in ms. Takes the lease when it is new or has lapsed, with
-- the next term; returns nothing while someone holds it. clock_timestamp(), not now(): a
-- transaction's start time says nothing about whether a lease has lapsed by now.
INSERT INTO daap.leaders AS l (name, holder, term, acquired_at, expires_at)
VALUES ($1, $2, 1, clock_timestamp(), clock_timestamp() + $3::float8 * interval '1 millisecond')
ON CONFLICT (name) DO UPDATE
   SET holder = EXCLUDED.holder,
       term = l.term + 1,
       acquired_at = EXCLUDED.acquired_at,
       expires_at = EXCLUDED.expires_at
 WHERE l.expires_at < clock_timestamp()
RETURNING term

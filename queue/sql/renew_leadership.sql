-- $1 name, $2 holder, $3 term, $4 time to live in ms. Extends an unlapsed lease of this term; the
-- row stays locked until the caller commits, so nobody takes it over in between.
UPDATE daap.leaders
   SET expires_at = clock_timestamp() + $4::float8 * interval '1 millisecond'
 WHERE name = $1 AND holder = $2 AND term = $3 AND expires_at > clock_timestamp()
RETURNING term

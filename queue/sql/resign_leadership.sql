-- $1 name, $2 holder, $3 term. Lets the lease lapse now.
UPDATE daap.leaders
   SET expires_at = clock_timestamp()
 WHERE name = $1 AND holder = $2 AND term = $3

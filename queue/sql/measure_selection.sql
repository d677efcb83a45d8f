-- $1-$8 as in select_jobs. How many jobs the filter selects now, and the highest id among them
-- (a bulk action then takes only jobs up to it: what was counted and confirmed).
SELECT count(*) AS count, coalesce(max(id), 0) AS max_id
  FROM daap.jobs
 WHERE ($1::text IS NULL OR state = $1)
   AND ($2::text IS NULL OR kind = $2)
   AND ($3::text IS NULL OR queue = $3)
   AND ($4::uuid IS NULL OR database_id = $4)
   AND ($5::timestamptz IS NULL OR coalesce(finished_at, created_at) >= $5)
   AND ($6::timestamptz IS NULL OR coalesce(finished_at, created_at) < $6)
   AND ($7::text IS NULL OR strpos(lower(last_error), lower($7)) > 0)
   AND ($8::bigint[] IS NULL OR id = ANY ($8))

-- $1 a JSON array of jobs (daap.enqueue_many's format). Returns their ids in input order.
SELECT t.id
  FROM unnest(daap.enqueue_many($1::jsonb)) WITH ORDINALITY AS t(id, ord)
 ORDER BY t.ord

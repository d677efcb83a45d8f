-- Records per status for /metrics, every known status included (0 when none), in lifecycle order.
SELECT s.status, count(d.id) AS count
  FROM unnest(ARRAY['provisioning', 'ready', 'degraded', 'error', 'deleting', 'deleted'])
         WITH ORDINALITY AS s(status, ord)
  LEFT JOIN daap.databases AS d ON d.status = s.status
 GROUP BY s.status, s.ord
 ORDER BY s.ord

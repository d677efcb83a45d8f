-- Puts back the error histories migration 029 counted: the counts it derived are removed, the
-- counts it changed restored; every other entry stays as it is.
UPDATE daap.jobs AS j
   SET errors = (SELECT jsonb_agg(CASE
                                    WHEN jsonb_typeof(e.value) <> 'object' THEN e.value
                                    WHEN e.value ? 'overall_attempt_derived'
                                    THEN e.value - 'overall_attempt' - 'overall_attempt_derived'
                                    WHEN e.value ? 'overall_attempt_before_029'
                                    THEN (e.value - 'overall_attempt_before_029')
                                         || jsonb_build_object('overall_attempt',
                                                               e.value -> 'overall_attempt_before_029')
                                    ELSE e.value
                                  END
                                  ORDER BY e.ordinality)
                   FROM jsonb_array_elements(j.errors) WITH ORDINALITY AS e)
 WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(j.errors) AS e(value)
                WHERE jsonb_typeof(e.value) = 'object'
                  AND (e.value ? 'overall_attempt_derived'
                       OR e.value ? 'overall_attempt_before_029'));

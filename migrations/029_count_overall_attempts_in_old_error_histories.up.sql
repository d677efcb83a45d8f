-- Error history entries without overall_attempt get one, so that `daapctl jobs show` never
-- prints the same attempt twice after a retry. Such entries were written by migration 009's
-- one-time repairs and, before overall_attempt existed, by every failure and rescue.
-- Counted as queue/sql/fail_job.sql and rescue_expired_leases.sql count: the previous entry's
-- overall_attempt (or its attempt) plus the attempts spent since it, all of `attempt` when it
-- went back down or stayed (a retry reset it). Migration 009's entries record a refusal, not an
-- attempt: they keep the previous entry's count. In such a history the later entries that had
-- a count are counted again the same way (theirs followed from the uncounted ones). An entry
-- given a count is marked "overall_attempt_derived": true; one whose count changed keeps the
-- old one as "overall_attempt_before_029": the down restores exactly what was there.
DO $$
DECLARE
  job record;
  entry jsonb;
  history jsonb;
  previous_attempt int;
  previous_overall int;
  this_attempt int;
  overall int;
BEGIN
  FOR job IN
    SELECT id, errors FROM daap.jobs AS j
     WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(j.errors) AS e(value)
                    WHERE jsonb_typeof(e.value) = 'object' AND NOT e.value ? 'overall_attempt')
       FOR UPDATE
  LOOP
    history := '[]';
    previous_attempt := 0;
    previous_overall := 0;
    FOR entry IN SELECT value FROM jsonb_array_elements(job.errors) LOOP
      IF jsonb_typeof(entry) = 'object' THEN
        this_attempt := CASE WHEN jsonb_typeof(entry -> 'attempt') = 'number'
                             THEN (entry ->> 'attempt')::numeric::int ELSE 0 END;
        IF coalesce(entry ->> 'error', '') ~ '^(no attempt left: attempt \d+ of max_attempts \d+|run_at .* is not a finite time)$'
           AND this_attempt = previous_attempt THEN
          overall := CASE WHEN previous_overall > 0 THEN previous_overall ELSE this_attempt END;
        ELSIF this_attempt > previous_attempt THEN
          overall := previous_overall + this_attempt - previous_attempt;
        ELSE
          overall := previous_overall + this_attempt;
        END IF;
        IF NOT entry ? 'overall_attempt' THEN
          entry := entry || jsonb_build_object('overall_attempt', overall,
                                               'overall_attempt_derived', true);
        ELSIF entry -> 'overall_attempt' <> to_jsonb(overall) THEN
          entry := entry || jsonb_build_object('overall_attempt', overall,
                                               'overall_attempt_before_029',
                                               entry -> 'overall_attempt');
        END IF;
        previous_attempt := this_attempt;
        previous_overall := overall;
      END IF;
      history := history || jsonb_build_array(entry);
    END LOOP;
    UPDATE daap.jobs SET errors = history WHERE id = job.id;
  END LOOP;
END
$$;

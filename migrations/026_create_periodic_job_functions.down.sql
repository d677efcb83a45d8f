DROP FUNCTION daap.run_periodic_job_now(text);
DROP FUNCTION daap.disable_periodic_job(text);
DROP FUNCTION daap.enable_periodic_job(text);
DROP FUNCTION daap.remove_periodic_job(text);
DROP FUNCTION daap.lock_periodic_job(text, text);
DROP FUNCTION daap.add_periodic_job(text, text, text, jsonb, text, text, integer, integer, boolean,
                                    boolean);

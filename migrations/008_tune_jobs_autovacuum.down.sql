ALTER TABLE daap.jobs RESET (
  autovacuum_vacuum_scale_factor,
  autovacuum_vacuum_insert_scale_factor,
  autovacuum_analyze_scale_factor
);

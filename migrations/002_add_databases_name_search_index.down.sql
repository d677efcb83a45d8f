DROP INDEX daap.databases_name_trgm_idx;
DROP EXTENSION IF EXISTS pg_trgm;

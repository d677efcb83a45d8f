-- Partial, case-insensitive name search (ILIKE '%text%') stays an index scan at scale.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX databases_name_trgm_idx ON daap.databases USING gin (name public.gin_trgm_ops);

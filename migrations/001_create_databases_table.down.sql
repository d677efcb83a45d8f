-- golang-migrate run without search_path=public keeps its history in daap.schema_migrations,
-- which would stop DROP SCHEMA below with a message that does not say why: say it first.
DO $$
BEGIN
  IF to_regclass('daap.schema_migrations') IS NOT NULL THEN
    RAISE EXCEPTION 'daap.schema_migrations is in the way: golang-migrate created it when it '
      'ran without search_path=public in its URL. Drop it (DROP TABLE daap.schema_migrations), '
      'record version 1 as clean again (daapctl migrate force 1, or golang-migrate''s force 1), '
      'give golang-migrate search_path=public in its URL, and migrate down again';
  END IF;
END
$$;

DROP TABLE daap.databases;
DROP FUNCTION daap.databases_derive_names();
DROP FUNCTION daap.set_updated_at();
DROP SCHEMA daap;

DROP TABLE daap.databases;
DROP FUNCTION daap.databases_derive_names();
DROP FUNCTION daap.set_updated_at();
DROP SCHEMA daap;

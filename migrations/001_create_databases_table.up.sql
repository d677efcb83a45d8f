-- The platform's metadata about each managed database (one row per database).
CREATE SCHEMA IF NOT EXISTS daap;

-- Keeps updated_at true whoever writes the row (other services write this table too).
CREATE FUNCTION daap.set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

-- cluster_name and pooler_name follow from the name when the writer does not give them.
CREATE FUNCTION daap.databases_derive_names() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.cluster_name IS NULL THEN
    NEW.cluster_name := NEW.name;
  END IF;
  IF NEW.pooler_name IS NULL THEN
    NEW.pooler_name := rtrim(left(NEW.name, 56), '-') || '-pooler';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TABLE daap.databases (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          varchar(63) NOT NULL
                CONSTRAINT databases_name_is_dns_label
                CHECK (name ~ '^[a-z]([-a-z0-9]*[a-z0-9])?$'),
  owner_team    varchar(255) NOT NULL
                CONSTRAINT databases_owner_team_not_blank CHECK (btrim(owner_team) <> ''),
  purpose       text NOT NULL DEFAULT '',
  namespace     varchar(63) NOT NULL DEFAULT 'default'
                CONSTRAINT databases_namespace_is_dns_label
                CHECK (namespace ~ '^[a-z]([-a-z0-9]*[a-z0-9])?$'),
  cluster_name  varchar(63) NOT NULL,
  pooler_name   varchar(63) NOT NULL,
  status        text NOT NULL DEFAULT 'provisioning'
                CONSTRAINT databases_status_known
                CHECK (status IN ('provisioning', 'ready', 'error', 'deleting', 'deleted')),
  host          text,
  port          integer CONSTRAINT databases_port_range CHECK (port BETWEEN 1 AND 65535),
  secret_name   text,
  error_message text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz,
  CONSTRAINT databases_deleted_at_iff_deleted CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);

CREATE TRIGGER databases_derive_names BEFORE INSERT ON daap.databases
  FOR EACH ROW EXECUTE FUNCTION daap.databases_derive_names();
CREATE TRIGGER databases_set_updated_at BEFORE UPDATE ON daap.databases
  FOR EACH ROW EXECUTE FUNCTION daap.set_updated_at();

-- A name is taken only while its record is not deleted: names can be reused after deletion.
CREATE UNIQUE INDEX databases_active_name_key ON daap.databases (name) WHERE deleted_at IS NULL;
CREATE INDEX databases_owner_team_idx ON daap.databases (owner_team);
CREATE INDEX databases_status_idx ON daap.databases (status);
-- Keyset pagination in either sort order.
CREATE INDEX databases_created_at_id_idx ON daap.databases (created_at, id);
CREATE INDEX databases_name_id_idx ON daap.databases (name, id);

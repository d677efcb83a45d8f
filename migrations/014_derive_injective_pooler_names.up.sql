-- The derived pooler_name was rtrim(left(name, 56), '-') || '-pooler': names sharing their
-- first 56 characters got the same Pooler. Now a name of at most 56 characters gives
-- <name>-pooler, a longer one its first 30 characters, '-' and the record id's 32 hex digits
-- (at most 63 characters; hex digits never end in "pooler", so the two forms never meet).
CREATE OR REPLACE FUNCTION daap.databases_derive_names() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.cluster_name IS NULL THEN
    NEW.cluster_name := NEW.name;
  END IF;
  IF NEW.pooler_name IS NULL THEN
    IF length(NEW.name) <= 56 THEN
      NEW.pooler_name := NEW.name || '-pooler';
    ELSE
      NEW.pooler_name := rtrim(left(NEW.name, 30), '-') || '-' || replace(NEW.id::text, '-', '');
    END IF;
  END IF;
  RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION daap.databases_derive_names() RETURNS trigger
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

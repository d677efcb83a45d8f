-- Two records not deleted never share a Cluster or a Pooler in a namespace. The derived names
-- are distinct, but other services write this table and may set them.
CREATE UNIQUE INDEX databases_active_cluster_name_key ON daap.databases (namespace, cluster_name)
  WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX databases_active_pooler_name_key ON daap.databases (namespace, pooler_name)
  WHERE deleted_at IS NULL;

-- Serialises closing the target's own databases: two sessions changing one database's ACL at
-- once fail with "tuple concurrently updated". Held until the transaction ends. (Advisory
-- locks are per database: every replica connects to the same target database.)
SELECT pg_advisory_xact_lock(7233184921432810241)

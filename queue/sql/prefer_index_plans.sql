-- For the rest of the transaction, only index scans look cheap: the maintenance passes walk
-- their indexes in order and stop at their limit whatever the table's statistics say (a table
-- emptied and refilled, stats after a bulk load). JIT would compile for the inflated costs.
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_sort = off;
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;
SET LOCAL jit = off

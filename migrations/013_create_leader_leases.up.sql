-- Leadership of the replica-wide duties (maintenance) as a lease that expires on its own. The
-- session advisory lock used before stayed held by a paused or partitioned leader's idle
-- connection (for hours, until TCP gave up) and could be taken by any session that can connect.
-- A leader renews its lease while it works; once it lapses another replica takes it with the next
-- term, and a returning old leader finds its term gone and does nothing.
CREATE TABLE daap.leaders (
  name        text PRIMARY KEY CONSTRAINT leaders_name_not_blank CHECK (btrim(name) <> ''),
  holder      text NOT NULL,
  term        bigint NOT NULL CONSTRAINT leaders_term_positive CHECK (term >= 1),
  acquired_at timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);

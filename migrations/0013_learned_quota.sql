-- The daily budget Liner learns from Spotify's unpublished quota (QUOTA_EXCEEDED): the figure in
-- use, the calls the rolling day held at the last QUOTA_EXCEEDED and when, and when the figure last
-- changed (it is raised step by step only after a day without one). Null: not learned yet, the
-- configured SPOTIFY_DAILY_BUDGET holds.
alter table spotify_rate_state
  add column learned_daily_budget integer check (learned_daily_budget > 0),
  add column quota_hit_calls integer,
  add column quota_hit_at timestamptz,
  add column budget_changed_at timestamptz;

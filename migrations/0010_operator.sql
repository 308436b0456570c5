-- The install's operator, when ADMIN_SPOTIFY_IDS names nobody, is recorded once, explicitly: the first
-- person to sign in (app_state 'operator', set atomically by the sign-in). Until now it was "whoever is
-- oldest", so deleting the first person's account silently handed the operator view to the next.
-- An install that already has people keeps its current operator: the oldest person, recorded here.
insert into app_state (key, value)
select 'operator', jsonb_build_object('userId', id::text, 'recordedAt', now())
  from users
 order by id
 limit 1
on conflict (key) do nothing;

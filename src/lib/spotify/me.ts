import { z } from "zod";
import type { Config } from "../config/env";

const meSchema = z.object({
  id: z.string().min(1),
  // Spotify has started to return a stable account id beside the (changeable) user id.
  account_id: z.string().min(1).optional(),
  display_name: z.string().nullable().optional(),
  email: z.string().optional(),
  country: z.string().optional(),
});

export interface SpotifyProfile {
  spotifyId: string;
  displayName: string | null;
  email: string | null;
  country: string | null;
}

/** Who the access token belongs to (`GET /v1/me`). */
export async function fetchProfile(config: Config, accessToken: string): Promise<SpotifyProfile> {
  const res = await fetch(`${config.SPOTIFY_API_BASE_URL}/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
    signal: AbortSignal.timeout(15_000),
  });
  if (!res.ok) throw Object.assign(new Error(`Spotify answered ${res.status} to GET /me.`), { status: res.status, retryAfter: res.headers.get("retry-after") });
  const parsed = meSchema.safeParse(await res.json().catch(() => null));
  if (!parsed.success) throw new Error("Spotify's answer to GET /me was not a user profile.");
  const me = parsed.data;
  return {
    spotifyId: me.account_id ?? me.id,
    displayName: me.display_name ?? null,
    email: me.email ?? null,
    country: me.country ?? null,
  };
}

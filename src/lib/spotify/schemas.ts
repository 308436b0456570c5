import { z } from "zod";

/**
 * The parts of Spotify's objects Liner uses, validated before use: a malformed answer is a failed
 * call, never a crash or a half-written catalogue row. Unknown fields pass; development-mode answers
 * lack popularity, followers, markets and labels, so none of those is required.
 */
export const imageSchema = z.object({
  url: z.string().min(1),
  width: z.number().int().nullable().optional().transform((v) => v ?? null),
  height: z.number().int().nullable().optional().transform((v) => v ?? null),
});

export const simplifiedArtistSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
});

export const simplifiedAlbumSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  album_type: z.string().optional(),
  release_date: z.string().optional(),
  release_date_precision: z.string().optional(),
  total_tracks: z.number().int().optional(),
  images: z.array(imageSchema).default([]),
  artists: z.array(simplifiedArtistSchema).default([]),
});

export const trackSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  duration_ms: z.number().int().nonnegative(),
  explicit: z.boolean().optional(),
  track_number: z.number().int().optional(),
  disc_number: z.number().int().optional(),
  external_ids: z.object({ isrc: z.string().optional() }).partial().optional(),
  album: simplifiedAlbumSchema,
  artists: z.array(simplifiedArtistSchema).min(1),
});
export type SpotifyTrack = z.infer<typeof trackSchema>;

export const simplifiedTrackSchema = trackSchema.omit({ album: true, external_ids: true }).extend({
  external_ids: z.object({ isrc: z.string().optional() }).partial().optional(),
});

export const pagingSchema = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    items: z.array(item),
    total: z.number().int().nonnegative(),
    limit: z.number().int(),
    offset: z.number().int(),
    next: z.string().nullable(),
  });

export const albumSchema = simplifiedAlbumSchema.extend({
  tracks: pagingSchema(simplifiedTrackSchema),
});
export type SpotifyAlbum = z.infer<typeof albumSchema>;

export const artistSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  genres: z.array(z.string()).optional(),
  images: z.array(imageSchema).default([]),
});
export type SpotifyArtist = z.infer<typeof artistSchema>;

export const searchTracksSchema = z.object({ tracks: pagingSchema(trackSchema) });
export const severalTracksSchema = z.object({ tracks: z.array(trackSchema.nullable()) });
export const severalArtistsSchema = z.object({ artists: z.array(artistSchema.nullable()) });
export const severalAlbumsSchema = z.object({ albums: z.array(albumSchema.nullable()) });

export const errorBodySchema = z.object({
  error: z.object({ status: z.number().optional(), message: z.string().optional(), reason: z.string().optional() }),
});

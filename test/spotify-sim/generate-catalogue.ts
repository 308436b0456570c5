import { Catalogue, type SimAlbum, type SimArtist, type SimTrack, type Variant } from "./catalogue";
import { base62Id, Rng } from "./random";

export interface CatalogueOptions {
  seed?: number | string;
  /** Artists with their own albums; variants (karaoke, tribute, …) add a few more. */
  artists?: number;
  albumsPerArtist?: [number, number];
  tracksPerAlbum?: [number, number];
  /** Turn off the hard cases for a plain catalogue. */
  hardCases?: boolean;
}

const WORDS = `love night heart fire dream light rain river summer blue gold shadow city road home
wild young forever moon star ocean dance secret stone glass paper silver thunder midnight morning
window garden echo mirror highway velvet neon honey crystal winter spring island desert storm
ghost angel devil heaven memory promise hollow broken golden electric sweet lonely silent little
running falling burning waiting dancing crying flying breathing talking drifting shining`
  .split(/\s+/)
  .filter(Boolean);
const FIRST = "Ava Leo Mia Noah Zoë Luca Nina Omar Iris Theo Elena Jonas Maya Felix Sofía Hugo Lena Björn Amélie Chloé".split(" ");
const LAST = "Rivers Stone Hart Vega Moreau Novak Lindqvist Okafor Tanaka Sørensen Müller Brandt Castillo Åberg Kowalski".split(" ");
const BAND_NOUNS = "Wolves Lanterns Parades Machines Satellites Orchids Foxes Tides Kites Engines Owls Comets".split(" ");
const NON_LATIN_ARTISTS = ["宇多田ヒカル", "ヨルシカ", "방탄소년단", "Кино", "Ляпис Трубецкой", "周杰倫", "Σωκράτης"];
const NON_LATIN_TITLES = ["夜に駆ける", "ただ君に晴れ", "봄날", "Группа крови", "晴天", "Καλημέρα", "花に亡霊"];
const GENRES = "indie pop|dream pop|synthwave|alt rock|neo soul|j-pop|k-pop|post-punk|folk|house|jazz|hip hop".split("|");
const LABELS = "Night Owl Records|Paper Moon Music|Harbour Lights|Blue Ember|Northbound".split("|");

function titleCase(w: string): string {
  return w[0]!.toUpperCase() + w.slice(1);
}

function phrase(rng: Rng, min: number, max: number): string {
  const n = rng.int(min, max);
  return Array.from({ length: n }, () => titleCase(rng.pick(WORDS))).join(" ");
}

/**
 * A deterministic catalogue with what makes matching names hard: remasters on other albums, live
 * versions, "(feat. X)" titles, karaoke and tribute versions by other artists, one title by
 * unrelated artists, remixes, sped-up versions, non-Latin scripts and diacritics; and what Spotify's
 * catalogue does over the years: tracks renamed since an export was made ("- Remastered 2012",
 * "(with X)" for "(feat. X)"; the old name in `exportName`), the same recording (same ISRC) on
 * compilations that outrank the original, and "Song (feat. Someone)" variants by the same main
 * artist. Every track carries its `variant` and, for variants, the `originalId`: the truth a matcher
 * is scored against. (The later behaviours draw from their own random stream, so the rest of a
 * seed's catalogue is what it was before them.)
 */
export function generateCatalogue(opts: CatalogueOptions = {}): Catalogue {
  const seed = String(opts.seed ?? 1);
  const rng = new Rng(seed);
  const hard = opts.hardCases ?? true;
  const [aMin, aMax] = opts.albumsPerArtist ?? [1, 3];
  const [tMin, tMax] = opts.tracksPerAlbum ?? [4, 12];
  const cat = new Catalogue();
  const later = new Rng(`${seed}:later`);
  let isrcSeq = 0;
  const isrc = () => `QZ${"ABCDEFGH"[rng.int(0, 7)]}${rng.int(10, 99)}${String(rng.int(0, 99)).padStart(2, "0")}${String(++isrcSeq).padStart(5, "0")}`.slice(0, 12);
  const upc = () => String(rng.int(100000, 999999)) + String(rng.int(100000, 999999));

  const artist = (name: string, key = name): SimArtist =>
    cat.addArtist({
      id: base62Id(`${seed}:artist:${key}`),
      name,
      genres: rng.chance(0.3) ? [] : [rng.pick(GENRES), rng.pick(GENRES)].filter((g, i, a) => a.indexOf(g) === i),
      popularity: rng.int(5, 95),
      followers: rng.int(100, 5_000_000),
    });
  const album = (name: string, artistIds: string[], type: SimAlbum["albumType"], year: number, key: string): SimAlbum => {
    const precision: SimAlbum["releaseDatePrecision"] = year < 1980 && rng.chance(0.5) ? "year" : "day";
    return cat.addAlbum({
      id: base62Id(`${seed}:album:${key}`),
      name,
      albumType: type,
      artistIds,
      releaseDate: precision === "year" ? String(year) : `${year}-${String(rng.int(1, 12)).padStart(2, "0")}-${String(rng.int(1, 28)).padStart(2, "0")}`,
      releaseDatePrecision: precision,
      label: rng.pick(LABELS),
      upc: upc(),
      popularity: rng.int(5, 90),
      trackIds: [],
    });
  };
  const track = (name: string, artistIds: string[], alb: SimAlbum, variant: Variant, extra: Partial<SimTrack> = {}): SimTrack =>
    cat.addTrack({
      id: base62Id(`${seed}:track:${alb.id}:${alb.trackIds.length}:${name}`),
      name,
      artistIds,
      albumId: alb.id,
      discNumber: 1,
      trackNumber: alb.trackIds.length + 1,
      durationMs: rng.int(95_000, 420_000),
      explicit: rng.chance(0.15),
      isrc: isrc(),
      popularity: rng.int(10, 90),
      variant,
      ...extra,
    });

  const nArtists = opts.artists ?? 50;
  const mains: SimArtist[] = [];
  for (let i = 0; i < nArtists; i++) {
    const style = rng.next();
    const name =
      hard && style < 0.06
        ? NON_LATIN_ARTISTS[i % NON_LATIN_ARTISTS.length]! + (i >= NON_LATIN_ARTISTS.length ? ` ${i}` : "")
        : style < 0.45
          ? `${rng.pick(FIRST)} ${rng.pick(LAST)}`
          : style < 0.75
            ? `The ${titleCase(rng.pick(WORDS))} ${rng.pick(BAND_NOUNS)}`
            : phrase(rng, 1, 2);
    mains.push(artist(name, `main:${i}`));
  }
  // Names of other artists may collide ("Ava Stone" twice): that too is real.
  const originals: SimTrack[] = [];
  for (const [i, a] of mains.entries()) {
    const nonLatin = NON_LATIN_ARTISTS.some((n) => a.name.startsWith(n));
    for (let j = 0, n = rng.int(aMin, aMax); j < n; j++) {
      const year = rng.int(1968, 2026);
      const alb = album(phrase(rng, 1, 3), [a.id], rng.chance(0.2) ? "single" : "album", year, `main:${i}:${j}`);
      const count = alb.albumType === "single" ? rng.int(1, 2) : rng.int(tMin, tMax);
      for (let k = 0; k < count; k++) {
        let name = nonLatin && rng.chance(0.5) ? rng.pick(NON_LATIN_TITLES) : phrase(rng, 1, 4);
        const artistIds = [a.id];
        if (hard && rng.chance(0.08) && mains.length > 1) {
          const guest = rng.pick(mains.filter((m) => m.id !== a.id));
          name = `${name} (feat. ${guest.name})`;
          artistIds.push(guest.id);
        }
        // Renamed since the export: the export says `exportName`, today's catalogue `name`.
        let exportName: string | undefined;
        if (hard) {
          const r = later.next();
          if (artistIds.length > 1 && r < 0.3) {
            exportName = name;
            name = name.replace("(feat. ", "(with ");
          } else if (r < 0.02) {
            exportName = name;
            name = `${name} - Remastered ${later.int(2005, 2021)}`;
          } else if (r < 0.03) {
            exportName = name;
            name = `${name} - ${later.int(2005, 2021)} Remaster`;
          }
        }
        originals.push(track(name, artistIds, alb, "original", exportName ? { exportName } : {}));
      }
    }
  }
  if (!hard) return cat;

  // Variants of originals: same words, different recording. Some outrank their original.
  const karaokeArtist = artist("Karaoke Hits Band", "karaoke");
  const karaokeAlbum = album("Sing Along Hits", [karaokeArtist.id], "compilation", 2015, "karaoke");
  const chipmunks = artist("Sped Up Nightcore", "spedup");
  const spedAlbum = album("Sped Up Songs", [chipmunks.id], "compilation", 2023, "spedup");
  const variantAlbums = new Map<string, SimAlbum>();
  const variantAlbum = (a: SimArtist, kind: string, name: string, year: number) => {
    const key = `${kind}:${a.id}`;
    if (!variantAlbums.has(key)) variantAlbums.set(key, album(name, [a.id], "compilation", year, key));
    return variantAlbums.get(key)!;
  };
  for (const o of originals) {
    const a = cat.artists.get(o.artistIds[0]!)!;
    // Variants carry today's name, but not a remaster's decoration.
    const base = o.exportName && /remaster/i.test(o.name) ? o.exportName : o.name;
    const r = rng.next();
    const like = (extra: Partial<SimTrack>) => ({ durationMs: o.durationMs + rng.int(-4000, 4000), originalId: o.id, ...extra });
    if (r < 0.12) {
      if (o.exportName && /remaster/i.test(o.name)) continue;
      track(`${base} - Remastered ${rng.int(2005, 2021)}`, o.artistIds, variantAlbum(a, "remaster", "Greatest Hits (Remastered)", 2011), "remaster", like({ popularity: Math.min(100, o.popularity + rng.int(-5, 15)) }));
    } else if (r < 0.2) {
      track(`${base} - Live`, o.artistIds, variantAlbum(a, "live", `Live at the ${titleCase(rng.pick(WORDS))} Hall`, 2019), "live", like({ durationMs: o.durationMs + rng.int(10_000, 60_000) }));
    } else if (r < 0.25) {
      track(`${base} (Karaoke Version)`, [karaokeArtist.id], karaokeAlbum, "karaoke", like({}));
    } else if (r < 0.3) {
      const tribute = artist(`${a.name} Tribute Band`, `tribute:${a.id}`);
      track(base, [tribute.id], variantAlbum(tribute, "tribute", `A Tribute to ${a.name}`, 2018), "tribute", like({ popularity: rng.int(1, 30) }));
    } else if (r < 0.36) {
      // One title by an unrelated artist: only the artist tells them apart.
      const other = rng.pick(mains);
      if (other.id !== a.id) {
        track(base, [other.id], variantAlbum(other, "homonym", phrase(rng, 1, 2), rng.int(1990, 2025)), "homonym", { popularity: rng.int(10, 95), originalId: o.id });
      }
    } else if (r < 0.4) {
      track(`${base} - ${titleCase(rng.pick(WORDS))} Remix`, o.artistIds, variantAlbum(a, "remix", `${base} (Remixes)`, 2022), "remix", like({}));
    } else if (r < 0.43) {
      track(`${base} - Sped Up`, [chipmunks.id, ...o.artistIds], spedAlbum, "sped_up", like({ durationMs: Math.round(o.durationMs * 0.8) }));
    } else if (r < 0.46) {
      track(`${base} - Acoustic`, o.artistIds, variantAlbum(a, "acoustic", "Unplugged", 2016), "acoustic", like({}));
    }
  }

  // The same recording on compilations, ranked above the original (more popular); and featured
  // variants by the same main artist, ranked above it too.
  const various = artist("Various Artists", "various");
  let compilation: SimAlbum | null = null;
  let compilations = 0;
  for (const o of originals) {
    const a = cat.artists.get(o.artistIds[0]!)!;
    const base = o.exportName ?? o.name;
    if (later.chance(0.05)) {
      if (!compilation || compilation.trackIds.length >= 20) compilation = album(`Now That's What I Call Hits ${++compilations}`, [various.id], "compilation", later.int(2000, 2026), `now:${compilations}`);
      track(o.name, o.artistIds, compilation, "compilation", { isrc: o.isrc, durationMs: o.durationMs, explicit: o.explicit, popularity: Math.min(100, o.popularity + 20), originalId: o.id });
    }
    if (o.artistIds.length === 1 && mains.length > 1 && later.chance(0.04)) {
      const guest = later.pick(mains.filter((m) => m.id !== a.id));
      const single = album(`${base} (feat. ${guest.name})`, [a.id], "single", later.int(2010, 2026), `featured:${o.id}`);
      track(`${base} (feat. ${guest.name})`, [a.id, guest.id], single, "featured", { durationMs: o.durationMs + later.int(-20_000, 20_000), popularity: Math.min(100, o.popularity + 15), originalId: o.id });
    }
  }
  return cat;
}

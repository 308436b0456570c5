import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { z } from "zod";
import { pageUser } from "@/lib/auth/page-user";
import { appDb } from "@/lib/db/app-db";
import { historyStats, PERIODS, type Period, type TopEntry } from "@/lib/stats/history";
import { pageParam } from "@/lib/web/query";

/** Only the periods themselves: `toString` and friends are in every object, not in PERIODS. */
const periodSchema = z.custom<Period>((v) => typeof v === "string" && Object.hasOwn(PERIODS, v));

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "History" };

function Tops({ title, items, testId }: { title: string; items: TopEntry[]; testId: string }) {
  return (
    <section className="panel">
      <h2>{title}</h2>
      {items.length === 0 ? (
        <p className="muted">Nothing in this period.</p>
      ) : (
        <ol className="tops" data-testid={testId}>
          {items.map((t, i) => (
            <li key={`${t.name}-${i}`} className="top">
              {/* eslint-disable-next-line @next/next/no-img-element -- covers come from Spotify's (or the simulator's) image host */}
              {t.image ? <img src={t.image} alt="" /> : <div className="noimage" aria-hidden />}
              <div>
                <span className="rank">{i + 1}. </span>
                <strong>{t.name}</strong>
              </div>
              {t.detail && <div className="muted">{t.detail}</div>}
              <div className="muted">
                {t.plays} plays · {t.hours} h
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Chart({ points }: { points: { bucket: string; hours: number }[] }) {
  if (points.length === 0) return <p className="muted">No listening in this period.</p>;
  const max = Math.max(...points.map((p) => p.hours), 0.1);
  const w = 600;
  const h = 160;
  const bw = w / points.length;
  return (
    <svg className="chart" viewBox={`0 0 ${w} ${h + 20}`} role="img" aria-label="Hours listened over time" data-testid="timeline">
      {points.map((p, i) => {
        const bh = (p.hours / max) * h;
        return (
          <g key={p.bucket}>
            <rect x={i * bw + 1} y={h - bh} width={Math.max(1, bw - 2)} height={bh}>
              <title>{`${p.bucket}: ${p.hours} h`}</title>
            </rect>
            {(i === 0 || i === points.length - 1 || points.length <= 12) && (
              <text x={i * bw + bw / 2} y={h + 14} textAnchor="middle">
                {p.bucket.slice(0, 7)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export default async function History({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await pageUser();
  if (!user) redirect("/");
  const chosen = pageParam((await searchParams).period, periodSchema, "year");
  const { db, config } = appDb();
  const s = await historyStats(db, user.id, chosen, config.STATS_MIN_MS_PLAYED);
  return (
    <main>
      <h1>History</h1>
      <nav className="periods" aria-label="Period">
        {(Object.keys(PERIODS) as Period[]).map((p) => (
          <a key={p} href={`/history?period=${p}`} aria-current={p === chosen ? "page" : undefined}>
            {PERIODS[p].label}
          </a>
        ))}
      </nav>
      <p className="muted">
        {s.plays.toLocaleString("en-US")} plays, {s.hours.toLocaleString("en-US")} hours
        {s.from ? ` from ${s.from.slice(0, 10)}` : ""}
        {s.to ? ` to ${s.to.slice(0, 10)}` : ""}. Plays under {config.STATS_MIN_MS_PLAYED / 1000} s are not counted.
      </p>
      <section className="panel">
        <h2>Listening time</h2>
        <Chart points={s.timeline} />
      </section>
      <Tops title="Top artists" items={s.topArtists} testId="top-artists" />
      <Tops title="Top tracks" items={s.topTracks} testId="top-tracks" />
      <Tops title="Top albums" items={s.topAlbums} testId="top-albums" />
      <section className="panel">
        <h2>Genres</h2>
        {s.genres.length === 0 ? (
          <p className="muted">Genres appear as artists are enriched (Spotify gives them for some artists only).</p>
        ) : (
          <ul className="genres">
            {s.genres.map((g) => (
              <li key={g.genre}>
                {g.genre} <span className="muted">{g.plays}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel">
        <h2>Not found on Spotify</h2>
        {s.notFound.length === 0 ? (
          <p className="muted">Nothing so far.</p>
        ) : (
          <table className="list" data-testid="not-found">
            <thead>
              <tr>
                <th>Artist</th>
                <th>Track</th>
                <th>Plays</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {s.notFound.map((r, i) => (
                <tr key={i}>
                  <td>{r.artist}</td>
                  <td>{r.track}</td>
                  <td>{r.plays}</td>
                  <td className="muted">{r.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}

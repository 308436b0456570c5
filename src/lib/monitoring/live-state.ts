/**
 * The enrichment panel's words, worked out where they are read: pure functions with no server
 * imports, so the dashboard (a client component) formats times in the reader's own time zone, and
 * the tests pin a zone and a clock. The server (enrichment-panel.ts) sends facts and ISO times only.
 */

export type Connection = "valid" | "needs_reconnect" | "not_connected";

/** What the time left is worked out from; every time is ISO (or a Date in tests). */
export interface TimeLeftInput {
  connection: Connection;
  /** Calls the unique items left still need (from `enrichment_backlog`). */
  calls: number;
  perMinute: number;
  perDay: number;
  /** Calls spent in the last 24 hours (rolling, like Spotify's quota). */
  usedToday: number;
  /** When the oldest counted calls leave the 24-hour window (the budget frees up from then). */
  budgetFreesAt: string | Date | null;
  /** A 429 (or Spotify's outage) holds every call back until then. */
  blockedUntil: string | Date | null;
  blockedReason: string | null;
}

export interface TimeLeft {
  seconds: number;
  /** When the next call can go, when that is not now. */
  resumesAt: string | null;
  text: string;
}

export interface Clock {
  now: Date;
  /** IANA zone; omitted: the reader's own (the browser's). */
  timeZone?: string;
  locale?: string;
}

const DAY_S = 86_400;
const n = (x: number) => Math.round(x).toLocaleString("en-US");
const toDate = (d: string | Date | null | undefined): Date | null => (d == null ? null : d instanceof Date ? d : new Date(d));

/** "about 5 minutes", "about 3 hours", "about 2 days". */
export function duration(seconds: number): string {
  if (seconds < 90) return "about a minute";
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} minutes`;
  if (seconds < 1.5 * DAY_S) {
    const h = Math.round(seconds / 3600);
    return `about ${h} hour${h === 1 ? "" : "s"}`;
  }
  const d = Math.round(seconds / DAY_S);
  return `about ${d} day${d === 1 ? "" : "s"}`;
}

/**
 * A moment for a person: relative when it is close ("in 20 s", "in 4 min"), the clock in their zone
 * when it is today ("at 14:05"), the weekday and the clock within a week ("on Thu 14:05"), else the date.
 */
export function when(at: string | Date, clock: Clock): string {
  const d = toDate(at)!;
  const s = Math.max(0, Math.round((d.getTime() - clock.now.getTime()) / 1000));
  if (s < 60) return `in ${Math.max(1, s)} s`;
  if (s < 15 * 60) return `in ${Math.round(s / 60)} min`;
  const opts = { timeZone: clock.timeZone, hour12: false } as const;
  const time = new Intl.DateTimeFormat(clock.locale ?? "en-GB", { ...opts, hour: "2-digit", minute: "2-digit" }).format(d);
  const day = (x: Date) => new Intl.DateTimeFormat("en-CA", { ...opts, year: "numeric", month: "2-digit", day: "2-digit" }).format(x);
  if (day(d) === day(clock.now)) return `at ${time}`;
  if (s < 6 * DAY_S) return `on ${new Intl.DateTimeFormat("en-GB", { ...opts, weekday: "short" }).format(d)} ${time}`;
  return `on ${new Intl.DateTimeFormat(clock.locale ?? "en-GB", { ...opts, day: "numeric", month: "short" }).format(d)} ${time}`;
}

/** A past moment, for the run log: "14:05" today, "Thu 14:05" this week, "3 Mar 2026, 14:05" before. */
export function stamp(at: string | Date, clock: Clock, seconds = false): string {
  const d = toDate(at)!;
  const opts = { timeZone: clock.timeZone, hour12: false } as const;
  const time = new Intl.DateTimeFormat(clock.locale ?? "en-GB", { ...opts, hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) }).format(d);
  const day = (x: Date) => new Intl.DateTimeFormat("en-CA", { ...opts, year: "numeric", month: "2-digit", day: "2-digit" }).format(x);
  if (day(d) === day(clock.now)) return time;
  if (clock.now.getTime() - d.getTime() < 6 * DAY_S * 1000) return `${new Intl.DateTimeFormat("en-GB", { ...opts, weekday: "short" }).format(d)} ${time}`;
  return `${new Intl.DateTimeFormat(clock.locale ?? "en-GB", { ...opts, day: "numeric", month: "short", year: "numeric" }).format(d)}, ${time}`;
}

/**
 * The honest time left: the calls the items need, spent at the steady rate while today's budget
 * lasts, then a day's budget a day; a quota or a rate-limit wait first pushes the start back. Null
 * when nothing can run (no valid connection): then there is no estimate, only a way to reconnect.
 */
export function timeLeft(input: TimeLeftInput, clock: Clock): TimeLeft | null {
  if (input.connection !== "valid") return null;
  const { calls, perMinute, perDay } = input;
  if (calls <= 0) return { seconds: 0, resumesAt: null, text: "nothing left to fetch" };
  const now = clock.now.getTime();
  const blocked = toDate(input.blockedUntil);
  const waitS = blocked && blocked.getTime() > now ? (blocked.getTime() - now) / 1000 : 0;
  const quota = waitS > 0 && input.blockedReason === "QUOTA_EXCEEDED";
  const outage = waitS > 0 && input.blockedReason === "SERVER_ERROR";
  const atRate = (c: number) => (c / perMinute) * 60;
  const perDayText = `${n(perDay)} calls a day`;
  const perMinuteText = `${n(perMinute)} calls a minute`;

  // Spotify's own quota: it lifts at `blockedUntil`, and then a day's budget a day.
  if (quota) {
    const days = Math.ceil(calls / perDay);
    const seconds = waitS + (days - 1) * DAY_S + atRate(calls - (days - 1) * perDay);
    const resumesAt = blocked!.toISOString();
    return { seconds, resumesAt, text: `Spotify's daily quota is reached; ${duration(seconds)} at ${perDayText}; next calls ${when(blocked!, clock)}` };
  }

  const left = Math.max(0, perDay - input.usedToday);
  const frees = toDate(input.budgetFreesAt);
  const freesS = frees && frees.getTime() > now ? (frees.getTime() - now) / 1000 : 0;
  if (left === 0) {
    // Today's budget is spent: nothing goes until the window rolls, then a day's budget a day.
    const days = Math.ceil(calls / perDay);
    const startS = Math.max(freesS, waitS);
    const seconds = startS + (days - 1) * DAY_S + atRate(calls - (days - 1) * perDay);
    const at = new Date(now + startS * 1000);
    return { seconds, resumesAt: startS > 0 ? at.toISOString() : null, text: `today's budget is spent; ${duration(seconds)} at ${perDayText}${startS > 0 ? `; next calls ${when(at, clock)}` : ""}` };
  }

  const waitText = waitS > 0 ? `; ${outage ? "Spotify is having trouble, next try" : "waiting for Spotify's rate limit, next calls"} ${when(blocked!, clock)}` : "";
  const resumesAt = waitS > 0 ? blocked!.toISOString() : null;
  if (calls <= left) {
    const seconds = waitS + atRate(calls);
    return { seconds, resumesAt, text: `${duration(seconds)} at ${perMinuteText}${waitText}` };
  }
  // Partly spent: what is left of today's budget at the rate, then the rest a day's budget a day.
  const rest = calls - left;
  const days = Math.ceil(rest / perDay);
  // The next day's budget frees as today's calls (most of them the ones about to go) leave the window.
  const firstDayEnds = Math.max(waitS + atRate(left), freesS > 0 ? freesS : DAY_S);
  const seconds = firstDayEnds + (days - 1) * DAY_S + atRate(rest - (days - 1) * perDay);
  return { seconds, resumesAt, text: `${duration(seconds)} at ${perDayText} (${n(left)} calls left today)${waitText}` };
}

/** Run states in words. */
export const RUN_STATUS_WORDS: Record<string, string> = {
  running: "Running",
  succeeded: "Done",
  partial: "Done, some failed",
  rate_limited: "Waiting for Spotify's rate limit",
  quota_paused: "Paused: daily quota",
  spotify_unavailable: "Paused: Spotify unavailable",
  failed: "Failed",
  skipped: "Skipped",
  interrupted: "Interrupted (worker stopped)",
};

/** What started a run, in words. */
export const RUN_TRIGGER_WORDS: Record<string, string> = {
  schedule: "Scheduled",
  upload: "After your upload",
  manual: "You pressed Enrich now",
  "cron-endpoint": "Scheduled (cron)",
  cli: "From the command line",
  resume: "Resumed after a wait or a reconnect",
};

export const runStatusWords = (s: string) => RUN_STATUS_WORDS[s] ?? s.replace(/_/g, " ");
export const runTriggerWords = (s: string) => RUN_TRIGGER_WORDS[s] ?? s.replace(/[_-]/g, " ");

/** The panel states in which something still moves: the page keeps asking until none holds. */
export const LIVE_STATES = new Set(["running", "queued", "rate_limited", "quota", "unavailable"]);

/** What "Enrich now" answers when there is nothing to do. */
export const NOTHING_TO_ENRICH = "Nothing to enrich: everything that can be is.";

/**
 * The panel's state as one sentence: the server's words, ended with the time they wait for in the
 * reader's zone. Without a clock yet (the server's render) the time is left out.
 */
export function stateLine(state: { text: string; until: string | null }, clock: Clock | null): string {
  if (/[.!?]$/.test(state.text)) return state.text;
  if (!state.until) return `${state.text} as soon as it can.`;
  return clock ? `${state.text} ${when(state.until, clock)}.` : `${state.text}…`;
}

/** A run's note with its machine times (ISO, UTC) put in the reader's zone, to the second. */
export function humaniseNote(note: string, clock: Clock): string {
  return note.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z/g, (iso) => stamp(iso, clock, true));
}

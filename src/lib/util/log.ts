/** One-line logs with a scope, filtered by LOG_LEVEL. Nothing here ever receives a secret. */
export type Level = "debug" | "info" | "warn" | "error";

const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Log {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function createLog(scope: string, level: Level = (process.env.LOG_LEVEL as Level) ?? "info"): Log {
  const min = order[level] ?? order.info;
  const write = (l: Level, msg: string) => {
    if (order[l] < min) return;
    const line = `${new Date().toISOString()} ${l.padEnd(5)} [${scope}] ${msg}\n`;
    (l === "error" || l === "warn" ? process.stderr : process.stdout).write(line);
  };
  return {
    debug: (m) => write("debug", m),
    info: (m) => write("info", m),
    warn: (m) => write("warn", m),
    error: (m) => write("error", m),
  };
}

/**
 * Logs a condition only when it changes (the database went away, came back), not on every retry:
 * an outage of an hour is two lines, not thousands.
 */
export function changeLog(log: Log): (state: string, level: Level, msg: string) => void {
  let last: string | undefined;
  return (state, level, msg) => {
    if (state === last) return;
    last = state;
    log[level](msg);
  };
}

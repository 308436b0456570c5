import type { Log } from "../lib/util/log";

/**
 * Runs `shutdown` once on SIGINT or SIGTERM and exits with its code. A second signal, or the
 * bound passing, forces the exit (the `force` step still runs, so no database is left behind).
 */
export function onShutdownSignal(opts: {
  log: Log;
  shutdown: () => Promise<void>;
  force: () => Promise<void>;
  boundMs?: number;
}): void {
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      opts.log.warn(`${signal} again: stopping now.`);
      void opts.force().finally(() => process.exit(1));
      return;
    }
    shuttingDown = true;
    opts.log.info(`${signal} received: finishing current work and stopping …`);
    const timer = setTimeout(() => {
      opts.log.warn("Shutdown took too long: stopping now.");
      void opts.force().finally(() => process.exit(1));
    }, opts.boundMs ?? 30_000);
    opts
      .shutdown()
      .then(
        () => {
          opts.log.info("Stopped cleanly.");
          process.exit(0);
        },
        (err: Error) => {
          opts.log.error(`Error while stopping: ${err.message}`);
          void opts.force().finally(() => process.exit(1));
        },
      )
      .finally(() => clearTimeout(timer));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

import { ConfigError, loadConfig, type Config } from "./lib/config/env";

const usage = `liner — keeps your whole Spotify listening history and fills it in.

Usage: liner <command> [options]

Commands:
  serve      start everything: database (embedded unless DATABASE_URL), migrations, web, one worker
             --no-worker   web only (run workers apart with \`liner worker\`)
  worker     run a worker on the shared queue   --concurrency N
  migrate    apply pending database migrations
  import     import a Spotify export (zip or JSON) for a user, with a progress bar
             FILE --user <spotify id> [--create-user]
  enrich     one pass of enrichment in the foreground, with a progress bar
             --user <spotify id>   only this person   --batch-size N   unique tracks per person
  status     health of the install (database, migrations, workers)   --json
  doctor     check everything and say what to fix   --no-ping to skip the queue round trip

Configuration comes from the environment; see .env.example.`;

type Command = (config: Config, args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import("./commands/serve")).serve,
  worker: async () => (await import("./commands/worker")).worker,
  migrate: async () => (await import("./commands/migrate")).migrate,
  import: async () => (await import("./commands/import")).importCommand,
  enrich: async () => (await import("./commands/enrich")).enrichCommand,
  status: async () => (await import("./commands/status")).status,
  doctor: async () => (await import("./commands/doctor")).doctor,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    console.log(usage);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`liner: unknown command "${name}". Run \`liner help\` for the list.`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 78; // EX_CONFIG
    }
    throw err;
  }
  try {
    return await (await load())(config, args);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 78;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    console.error(`liner: ${err.message}`);
    process.exitCode = 1;
  },
);

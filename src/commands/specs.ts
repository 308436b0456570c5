/**
 * What every `liner` command accepts: its usage line, its options (as node:util parseArgs reads
 * them, with a description and a value name for the help) and its positionals. `src/cli.ts` checks
 * the arguments and answers `--help` from here before any configuration or database is touched;
 * each command parses its own arguments with the same options. Kept free of heavy imports so that
 * `liner <command> --help` is instant.
 */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  default?: string | boolean;
  /** Shown after the option in the help, e.g. "N" for `--concurrency N`. */
  value?: string;
  description: string;
}

export interface CommandSpec {
  summary: string;
  usage: string;
  /** Positional arguments, for the help; none are accepted when absent. */
  positionals?: { name: string; description: string }[];
  options: Record<string, OptionSpec>;
}

export const commandSpecs = {
  serve: {
    summary: "start everything: database (embedded unless DATABASE_URL), migrations, web, one worker",
    usage: "liner serve [--no-worker]",
    options: {
      "no-worker": { type: "boolean", default: false, description: "web only (run workers apart with `liner worker`)" },
    },
  },
  worker: {
    summary: "run a worker on the shared queue",
    usage: "liner worker [--concurrency N]",
    options: {
      concurrency: { type: "string", value: "N", description: "jobs this worker runs at once, 1 to 32 (default: WORKER_CONCURRENCY)" },
    },
  },
  migrate: {
    summary: "apply pending database migrations",
    usage: "liner migrate",
    options: {},
  },
  import: {
    summary: "import a Spotify export (zip or JSON) for a user, with a progress bar",
    usage: "liner import FILE --user <spotify id> [--create-user]",
    positionals: [{ name: "FILE", description: "the export: Spotify's zip, or one of its JSON files" }],
    options: {
      user: { type: "string", value: "<spotify id>", description: "the person the listens belong to (required)" },
      "create-user": { type: "boolean", default: false, description: "add that person first when Liner does not know them yet" },
    },
  },
  enrich: {
    summary: "one pass of enrichment in the foreground, with a progress bar",
    usage: "liner enrich [--user <spotify id>] [--batch-size N]",
    options: {
      user: { type: "string", value: "<spotify id>", description: "only this person (default: everyone with pending listens, in turn)" },
      "batch-size": { type: "string", value: "N", description: "unique tracks per person, 1 to 1000 (default: ENRICH_BATCH_SIZE)" },
    },
  },
  status: {
    summary: "health of the install (database, migrations, workers); exit 1 when not ok",
    usage: "liner status [--json]",
    options: {
      json: { type: "boolean", default: false, description: "print the raw health report as JSON" },
    },
  },
  doctor: {
    summary: "check everything and say what to fix",
    usage: "liner doctor [--no-ping]",
    options: {
      "no-ping": { type: "boolean", default: false, description: "skip the round trip through the queue to a worker" },
    },
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof commandSpecs;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commandSpecs, name);
}

/** The options as parseArgs takes them, with -h/--help added. */
export function parseArgsOptions(spec: CommandSpec) {
  return { ...spec.options, help: { type: "boolean" as const, short: "h", default: false } };
}

/** `liner <command> --help`. */
export function commandHelp(name: CommandName): string {
  const spec: CommandSpec = commandSpecs[name];
  const args: [string, string][] = (spec.positionals ?? []).map((p) => [p.name, p.description]);
  const options: [string, string][] = [
    ...Object.entries(spec.options).map(([option, o]): [string, string] => [
      `${o.short ? `-${o.short}, ` : ""}--${option}${o.value ? ` ${o.value}` : ""}`,
      o.description,
    ]),
    ["-h, --help", "show this help"],
  ];
  const width = Math.max(...[...args, ...options].map(([left]) => left.length));
  const rows = (list: [string, string][]) => list.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
  return [
    `liner ${name} — ${spec.summary}.`,
    "",
    `Usage: ${spec.usage}`,
    ...(args.length ? ["", "Arguments:", ...rows(args)] : []),
    "",
    "Options:",
    ...rows(options),
    "",
    "Configuration comes from the environment and the .env file (see .env.example).",
  ].join("\n");
}

/** `liner --help`. */
export function mainHelp(): string {
  const width = Math.max(...Object.keys(commandSpecs).map((n) => n.length));
  return [
    "liner — keeps your whole Spotify listening history and fills it in.",
    "",
    "Usage: liner <command> [options]",
    "",
    "Commands:",
    ...Object.entries(commandSpecs).map(([n, s]) => `  ${n.padEnd(width)}  ${s.summary}`),
    "",
    "`liner <command> --help` shows a command's options.",
    "Configuration comes from the environment and from a .env file: LINER_ENV_FILE when set, else",
    ".env in the working directory, else .env in Liner's folder; the environment wins. See .env.example.",
  ].join("\n");
}

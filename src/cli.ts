import { parseArgs } from "node:util";
import { commandHelp, commandSpecs, isCommandName, mainHelp, parseArgsOptions, type CommandName } from "./commands/specs";
import { ConfigError, loadConfig, type Config } from "./lib/config/env";
import { EnvFileError, loadEnvFile } from "./lib/config/env-file";

type Command = (config: Config, args: string[]) => Promise<number>;

const commands: Record<CommandName, () => Promise<Command>> = {
  serve: async () => (await import("./commands/serve")).serve,
  worker: async () => (await import("./commands/worker")).worker,
  migrate: async () => (await import("./commands/migrate")).migrate,
  import: async () => (await import("./commands/import")).importCommand,
  enrich: async () => (await import("./commands/enrich")).enrichCommand,
  status: async () => (await import("./commands/status")).status,
  doctor: async () => (await import("./commands/doctor")).doctor,
};

const EX_USAGE = 2;
const EX_CONFIG = 78;

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h") {
    console.log(mainHelp());
    return name ? 0 : EX_USAGE;
  }
  if (name === "help") {
    const topic = args[0];
    if (topic && isCommandName(topic)) {
      console.log(commandHelp(topic));
      return 0;
    }
    console.log(mainHelp());
    return topic ? EX_USAGE : 0;
  }
  if (!isCommandName(name)) {
    console.error(`liner: unknown command "${name}". Run \`liner --help\` for the list.`);
    return EX_USAGE;
  }

  // Arguments first: `--help` and a mistyped option answer without configuration or a database.
  const spec = commandSpecs[name];
  let help: boolean;
  try {
    const parsed = parseArgs({ args, options: parseArgsOptions(spec), allowPositionals: "positionals" in spec, strict: true });
    help = parsed.values.help === true;
  } catch (err) {
    console.error(`liner ${name}: ${(err as Error).message}\n\n${commandHelp(name)}`);
    return EX_USAGE;
  }
  if (help) {
    console.log(commandHelp(name));
    return 0;
  }

  let config: Config;
  try {
    loadEnvFile();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof EnvFileError) {
      console.error(err.message);
      return EX_CONFIG;
    }
    throw err;
  }
  try {
    return await (await commands[name]())(config, args);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return EX_CONFIG;
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

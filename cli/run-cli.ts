/**
 * What `mesh <args>` does, as a function of its arguments: it behaves like its peers (kubectl, the nats CLI).
 * `-h`/`--help` anywhere prints that command's usage to stdout and exits 0; a usage error goes to stderr with
 * exit 2 and that command's usage; other failures exit 1.
 */
import { parseArgs } from "node:util";
import { commandTable, usageText, UsageError, type Command } from "./command-table.js";

type Parsed = ReturnType<typeof parseArgs>;

/** Every command's usage, as `mesh help` shows it. */
export function overview(): string {
  return [
    "usage: mesh <command> [-h|--help]",
    "",
    ...Object.values(commandTable).map(usageText),
    "",
    "  help [command]                       this text, or one command's",
    "  completion bash                      a bash completion script: source <(mesh completion bash)",
    "",
    "environment: NATS_URL (default: the broker mesh up started, else nats://127.0.0.1:4222); as whom:",
    "  NATS_NKEY_SEED (an nkey user seed), or NATS_USER and NATS_PASS, else the operator seed in .mesh/operator.json",
  ].join("\n");
}

/** A command's usage, or its sub-command's when the first positional names one; each synopsis as typed (`mesh ...`). */
function usageOf(command: Command, sub: string | undefined): string {
  const own = sub && command.subcommands?.[sub];
  return `usage:\n${(own || usageText(command)).replace(/^ {2}(?=\S)/gm, "  mesh ")}`;
}

function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === "-h" || a === "--help");
}

/** Where the CLI's own words go (commands themselves write to the process's streams). */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: CliOutput = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** Runs `mesh <argv>` and returns its exit code. */
export async function runCli(argv: readonly string[], out: CliOutput = processOutput): Promise<number> {
  try {
    return await dispatch(argv, out);
  } catch (err) {
    const [name] = argv;
    out.stderr(`mesh${name && commandTable[name] ? ` ${name}` : ""}: ${(err as Error).message}\n`);
    if (!(err instanceof UsageError)) return 1;
    out.stderr(`\n${err.command ? usageOf(err.command, err.sub) : overview()}\n`);
    return 2;
  }
}

async function dispatch(argv: readonly string[], out: CliOutput): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "-h" || name === "--help") {
    const topic = name === "help" ? args[0] : undefined;
    if (topic && !commandTable[topic]) throw new UsageError(`no command "${topic}"`);
    out.stdout(`${topic ? usageOf(commandTable[topic]!, args[1]) : overview()}\n`);
    return 0;
  }
  if (name === "completion") {
    const { completionScript } = await import("./completion.js");
    if (wantsHelp(args)) {
      out.stdout("usage:\n  completion bash                      print a bash completion script: source <(mesh completion bash)\n");
      return 0;
    }
    if (args[0] !== "bash" || args.length > 1) throw new UsageError(`completion takes one shell, bash, not "${args.join(" ")}"`);
    out.stdout(completionScript(commandTable));
    return 0;
  }
  const command = commandTable[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  if (command.raw) return command.run({ values: {}, positionals: [] }, args, out);
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: [...args], allowPositionals: true, strict: true, options: { ...command.options, help: { type: "boolean", short: "h" } } });
  } catch (err) {
    // parseArgs refuses unknown or malformed options with ERR_PARSE_ARGS_*: a usage error, shown with this command's usage.
    throw new UsageError((err as Error).message, command, args.find((a) => !a.startsWith("-")));
  }
  const sub = parsed.positionals[0];
  if (parsed.values.help) {
    out.stdout(`${usageOf(command, sub)}\n`);
    return 0;
  }
  if (command.subcommands && (!sub || !command.subcommands[sub])) {
    const choices = Object.keys(command.subcommands).join(", ");
    throw new UsageError(sub ? `${name} has no command "${sub}" (it has ${choices})` : `${name} needs one of ${choices}`, command);
  }
  if (!command.positionals && !command.subcommands && parsed.positionals.length) {
    throw new UsageError(`${name} takes no argument "${parsed.positionals[0]}"`, command);
  }
  try {
    return await command.run(parsed, args, out);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(err.message, err.command ?? command, err.sub ?? sub);
    throw err;
  }
}


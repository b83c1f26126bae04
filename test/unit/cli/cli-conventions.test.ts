import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "../../../scripts/build.mjs";
import { commandTable } from "../../../cli/command-table.js";
import { runCli } from "../../../cli/run-cli.js";

const exec = promisify(execFile);

// The compiled CLI, built into a directory of this test's own: what `mesh`, `npm start` and the image run. Under
// node_modules, so the bundle resolves its packages as dist/ does.
const root = fileURLToPath(new URL("../../../", import.meta.url));
let dir: string;
let cli: string;
before(async () => {
  mkdirSync(join(root, "node_modules", ".cache"), { recursive: true });
  dir = mkdtempSync(join(root, "node_modules", ".cache", "mesh-build-"));
  await build(dir);
  cli = join(dir, "mesh.js");
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `mesh <args>` in this process: the same dispatch as the binary, without a process start per case. */
async function meshHere(...args: string[]): Promise<Ran> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

/** The compiled binary. */
async function mesh(...args: string[]): Promise<Ran> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [cli, ...args], { env: { ...process.env, NATS_URL: "nats://127.0.0.1:1" } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const invocations = Object.entries(commandTable).flatMap(([name, c]) => [[name], ...Object.keys(c.subcommands ?? {}).map((sub) => [name, sub])]);

test("every command and sub-command prints its usage to stdout and exits 0 on --help and on -h", async () => {
  const binary = await mesh("dlq", "show", "--help");
  assert.deepEqual([binary.code, binary.stderr], [0, ""]);
  assert.match(binary.stdout, /^usage:\n {2}mesh dlq show <seq>/);
  const cases = invocations.flatMap((words) => [[...words, "--help"], [...words, "-h"]]);
  for (const args of cases) {
    const ran = await meshHere(...args);
    const said = `mesh ${args.join(" ")}: exit ${ran.code}\n${ran.stderr}`;
    assert.equal(ran.code, 0, said);
    assert.equal(ran.stderr, "", said);
    assert.match(ran.stdout, /usage/, said);
    // A sub-command's help is its own usage line, not the whole command's.
    if (args.length === 3) assert.match(ran.stdout, new RegExp(`^usage:\\n  mesh ${args[0]} ${args[1]}\\b`), said);
  }
});

/** Commands that print no report of their own, and why; every other command and sub-command takes --json. */
const notReports: Readonly<Record<string, string>> = {
  demo: "the npm start walk-through, for a person watching; `mesh up --json` is its machine form",
  bench: "runs npm run bench, whose output is the benchmarks'",
  plan: "picks its format with --format table|csv|md",
  labels: "labels export writes the labels themselves, as JSONL",
};

test("every command that reports takes --json, and its usage (each sub-command's) says so", () => {
  for (const [name, command] of Object.entries(commandTable)) {
    if (name in notReports) continue;
    assert.ok(command.options && "json" in command.options, `mesh ${name} takes no --json`);
    for (const usage of command.usage ? [command.usage] : Object.values(command.subcommands ?? {})) assert.match(usage, /\[--json\]/, `usage of mesh ${name}:\n${usage}`);
  }
});

test("mesh help, mesh --help and mesh with no command print every command to stdout and exit 0", async () => {
  for (const args of [["help"], ["--help"], ["-h"], []]) {
    const ran = await (args[0] === "help" ? mesh : meshHere)(...args);
    assert.equal(ran.code, 0, `mesh ${args.join(" ")}`);
    assert.equal(ran.stderr, "");
    for (const name of Object.keys(commandTable)) assert.match(ran.stdout, new RegExp(`^  ${name}\\b`, "m"), `${name} missing from mesh ${args.join(" ")}`);
  }
});

test("usage errors go to stderr with exit 2 and the command's usage: unknown option, missing argument, unknown sub-command, unknown command", async () => {
  const cases: [string[], RegExp][] = [
    [["dlq", "ls", "--bogus"], /Unknown option '--bogus'[\s\S]*usage:\n {2}mesh dlq ls/],
    [["status", "invoice"], /missing <source-system>[\s\S]*usage:\n {2}mesh status <flow>/],
    [["dlq", "frobnicate"], /dlq has no command "frobnicate" \(it has ls, show, replay, edit\)[\s\S]*mesh dlq edit/],
    [["dlq", "show", "zero"], /<seq> takes a whole number above 0, not "zero"/],
    [["up", "extra"], /up takes no argument "extra"/],
    [["cost", "--window", "1h"], /--window and --at are read from Prometheus: add --prometheus <url>/],
    [["cost", "--prometheus", "http://127.0.0.1:1", "--window", "a day"], /--window takes a Prometheus duration such as 24h/],
    [["nope"], /unknown command "nope"[\s\S]*usage: mesh <command>/],
    [["completion", "fish"], /completion takes one shell, bash/],
  ];
  for (const [args, said] of cases) {
    const ran = await meshHere(...args);
    assert.equal(ran.code, 2, `mesh ${args.join(" ")}: ${ran.stderr}`);
    assert.equal(ran.stdout, "", `mesh ${args.join(" ")} wrote to stdout`);
    assert.match(ran.stderr, said);
  }
});

test("a command that fails for another reason than its usage exits 1 and prints no usage", async () => {
  const ran = await mesh("policy", "explain", "not json");
  assert.equal(ran.code, 1, ran.stderr);
  assert.match(ran.stderr, /request: not JSON/);
  assert.doesNotMatch(ran.stderr, /usage/);
});

test("the compiled CLI finds the policy document at its source path and reports as JSON with --json", async () => {
  const request = JSON.stringify({ action: "event.emit", principal: { agent: "invoice" }, resource: { subject: "mesh.result.invoice" } });
  const ran = await mesh("policy", "explain", request, "--json");
  assert.equal(ran.code, 0, ran.stderr);
  const explained = JSON.parse(ran.stdout) as { decision: { effect: string; revision: string } };
  assert.ok(["permit", "deny"].includes(explained.decision.effect), ran.stdout);
  assert.ok(explained.decision.revision, "the decision names the revision of the shipped document");
});

test("mesh completion bash completes commands, a command's sub-commands and its options", async () => {
  const script = (await mesh("completion", "bash")).stdout;
  const complete = async (...words: string[]) => {
    const { stdout } = await exec("bash", ["-c", `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _mesh; echo "\${COMPREPLY[@]}"`]);
    return stdout.trim().split(/\s+/);
  };
  assert.deepEqual(await complete("mesh", "re"), ["reconcile", "review", "replay"]);
  assert.deepEqual(await complete("mesh", "dlq", "s"), ["show"]);
  assert.ok((await complete("mesh", "status", "--")).includes("--json"));
});

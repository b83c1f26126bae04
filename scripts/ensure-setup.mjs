#!/usr/bin/env node
// Installs what `npm start` / `npm test` need and is missing: npm packages, the build (dist/), then OS packages (nats-server;
// for tests also Prometheus and Chromium) from Debian when running as root. Otherwise it prints the one
// command that installs them. Plain JS on purpose: it runs before any dependency is installed.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const purpose = process.argv[2] === "test" ? "test" : "start";

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  if (r.status !== 0) {
    console.error(`setup: '${cmd} ${args.join(" ")}' failed (exit ${r.status}).`);
    process.exit(r.status ?? 1);
  }
}

function has(bin) {
  return spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0 || existsSync(`/usr/sbin/${bin}`);
}

// 1. npm packages: install when node_modules is absent or older than the lock file.
const lock = `${root}package-lock.json`;
const marker = `${root}node_modules/.package-lock.json`;
if (!existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs)) {
  console.log("setup: installing npm packages...");
  run("npm", existsSync(lock) ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"]);
}

// 2. The compiled CLI and agent runtime (dist/), when a source is newer than the build.
const { ensureBuilt } = await import("./build.mjs");
await ensureBuilt();

// 3. OS packages.
const wanted = [{ bin: "nats-server", pkg: "nats-server" }];
if (purpose === "test") wanted.push({ bin: "promtool", pkg: "prometheus" }, { bin: "chromium", pkg: "chromium" });
const missing = wanted.filter((w) => !has(w.bin)).map((w) => w.pkg);
if (missing.length) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasApt = has("apt-get");
  if (isRoot && hasApt) {
    console.log(`setup: installing ${missing.join(", ")} from the OS packages...`);
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  } else {
    console.error(`setup: missing ${missing.join(", ")}. Install with:\n  sudo apt-get install -y ${missing.join(" ")}`);
    process.exit(1);
  }
}
if (purpose === "start") {
  try {
    execFileSync(has("nats-server") ? "nats-server" : "/usr/sbin/nats-server", ["--version"], { stdio: "ignore" });
  } catch {
    // found but not runnable: `mesh up` reports it with the install command
  }
}

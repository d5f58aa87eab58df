/**
 * `npm run test:loaded [-- --busy N] [-- vitest arguments]`: the tests `npm test` runs, with N (default
 * 4) processes spinning on the CPU beside them, as on a shared CI machine. The spinners stop whatever
 * happens (the suite's end, a failure, Ctrl-C, this script killed: each one leaves when its parent is
 * gone); prints the elapsed time and exits with the suite's code.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { constants } from "node:os";

const DEFAULT_BUSY = 4;

/** Spins for ~100 ms at a time, and leaves once its parent (this script) is gone, even after a SIGKILL. */
const SPINNER = `const parent = process.ppid;
for (;;) {
  const until = Date.now() + 100;
  while (Date.now() < until);
  if (process.ppid !== parent) process.exit(0);
}`;

const { busy, vitestArgs } = parseArgs(process.argv.slice(2));
const testCommand = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts.test as string;

const spinners: ChildProcess[] = Array.from({ length: busy }, () =>
  spawn(process.execPath, ["-e", SPINNER], { stdio: "ignore" }),
);
const stopSpinners = () => {
  for (const spinner of spinners) if (spinner.exitCode === null) spinner.kill("SIGKILL");
};
process.on("exit", stopSpinners);

const startedAt = Date.now();
console.log(`test:loaded: ${busy} busy processes beside \`${testCommand}\``);
// npm puts node_modules/.bin and the pinned Node first on PATH, as for `npm test`.
const suite = spawn("sh", ["-c", `${testCommand} ${vitestArgs.map(shellQuoted).join(" ")}`], {
  stdio: "inherit",
});
// Ctrl-C reaches the suite too (same process group): stop the spinners now, then wait for its exit code.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    stopSpinners();
    if (suite.exitCode === null) suite.kill(signal);
  });
}
suite.on("close", (code, signal) => {
  stopSpinners();
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  const result = signal === null ? `exit ${code}` : `stopped by ${signal}`;
  console.log(`test:loaded: ${result} after ${seconds} s with ${busy} busy processes beside it`);
  process.exit(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
});

function parseArgs(args: string[]): { busy: number; vitestArgs: string[] } {
  const at = args.findIndex((arg) => arg === "--busy" || arg.startsWith("--busy="));
  if (at === -1) return { busy: DEFAULT_BUSY, vitestArgs: args };
  const [flag = "", inline] = (args[at] as string).split("=");
  const value = inline ?? args[at + 1];
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0) {
    console.error(`test:loaded: ${flag} wants a whole number of busy processes, got ${String(value)}`);
    process.exit(1);
  }
  const rest = [...args.slice(0, at), ...args.slice(at + (inline === undefined ? 2 : 1))];
  return { busy: count, vitestArgs: rest };
}

function shellQuoted(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

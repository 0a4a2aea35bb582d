// Spawns test/support/store-child.ts under Node, Bun or Deno (all from node_modules/.bin) or as a
// `bun build --compile` executable, and
// makes sure every child is killed when the test ends.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as path from "node:path";
import { afterEach } from "vitest";

/** "compiled": the child built by `bun build --compile`, as oauthx ships. See compileStoreChild(). */
export type Runtime = "node" | "bun" | "deno" | "compiled";
export const RUNTIMES: Runtime[] = ["node", "bun", "deno", "compiled"];

const repo = path.resolve(import.meta.dirname, "../..");
const bin = (name: string) => path.join(repo, "node_modules", ".bin", name);
const childScript = path.join(repo, "test", "support", "store-child.ts");

const commandLine: Record<Exclude<Runtime, "compiled">, string[]> = {
  node: [bin("node")],
  bun: [bin("bun")],
  deno: [bin("deno"), "run", "-A", "--quiet"],
};

let compiledChild: string | undefined;

/** Builds the child as a single executable into `directory` (call from beforeAll; ~0.2 s). */
export function compileStoreChild(directory: string): void {
  const outfile = path.join(directory, "store-child");
  execFileSync(bin("bun"), ["build", "--compile", childScript, "--outfile", outfile], {
    cwd: repo,
    stdio: "pipe",
  });
  compiledChild = outfile;
}

function commandFor(runtime: Runtime): string[] {
  if (runtime !== "compiled") return [...commandLine[runtime], childScript];
  if (compiledChild === undefined) throw new Error("call compileStoreChild() in beforeAll first");
  return [compiledChild];
}

export interface Child {
  process: ChildProcess;
  runtime: Runtime;
  /** Resolves with the first stdout line starting with `prefix`. */
  line(prefix: string, timeoutMs?: number): Promise<string>;
  /** Resolves when the child exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

const running = new Set<ChildProcess>();

/** Registers an afterEach that kills whatever a test left running. */
export function killChildrenAfterEach(): void {
  afterEach(() => {
    for (const child of running) child.kill("SIGKILL");
    running.clear();
  });
}

export function spawnStoreChild(
  runtime: Runtime,
  args: string[],
  env: Record<string, string | undefined>,
  options: { umask?: number } = {},
): Child {
  let [command, ...prefix] = commandFor(runtime) as [string, ...string[]];
  if (options.umask !== undefined) {
    // The product never sets the umask; a permissive one proves files are created private.
    prefix = ["-c", `umask ${options.umask.toString(8)} && exec "$@"`, "sh", command, ...prefix];
    command = "/bin/sh";
  }
  const child = spawn(command, [...prefix, ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DENO_NO_UPDATE_CHECK: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let stdout = "";
  let stderr = "";
  const waiters: Array<{ prefix: string; resolve: (line: string) => void }> = [];
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const waiter of [...waiters]) {
      const found = stdout.split("\n").find((line) => line.startsWith(waiter.prefix));
      if (found !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(found);
      }
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    process: child,
    runtime,
    exited,
    line(prefix, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`${runtime} child: no "${prefix}" line in ${timeoutMs} ms; stderr: ${stderr}`)),
          timeoutMs,
        );
        const done = (line: string) => {
          clearTimeout(timer);
          resolve(line);
        };
        const found = stdout.split("\n").find((line) => line.startsWith(prefix));
        if (found !== undefined) done(found);
        else waiters.push({ prefix, resolve: done });
        void exited.then(({ code }) => {
          clearTimeout(timer);
          reject(new Error(`${runtime} child exited (${code}) before "${prefix}"; stderr: ${stderr}`));
        });
      });
    },
  };
}

/** A pid that certainly belonged to a process that has exited. */
export async function deadPid(): Promise<number> {
  const child = spawn(bin("node"), ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("close", resolve));
  return child.pid!;
}

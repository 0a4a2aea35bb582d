// Drives Debian's reference `age` CLI (/usr/bin/age, age-keygen) for interop tests. age reads
// passphrases from the terminal only, so passphrase runs go through script(1) (./terminal.ts), which
// gives it a pseudo-terminal; answers are typed when the prompt appears, not after a guess delay.

import { execFileSync } from "node:child_process";
import { requireFile } from "./require-tool.ts";
import { spawnOnTerminal } from "./terminal.ts";

export const AGE = "/usr/bin/age";
export const AGE_KEYGEN = "/usr/bin/age-keygen";
export const SCRIPT = "/usr/bin/script";

/** Fails the calling hook or test unless the age CLI (and script(1) for passphrases) is installed. */
export function requireAgeCli(): void {
  for (const file of [AGE, AGE_KEYGEN, SCRIPT]) requireFile(file);
}

export function age(args: string[], input?: string): string {
  return execFileSync(AGE, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

/** Runs age-keygen -o <file>; returns the public key (recipient). */
export function ageKeygen(file: string): string {
  execFileSync(AGE_KEYGEN, ["-o", file], { stdio: "ignore" });
  return execFileSync(AGE_KEYGEN, ["-y", file], { encoding: "utf8" }).trim();
}

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/** Runs age in a pseudo-terminal, answering each passphrase prompt with `passphrase`. */
export function ageWithTty(args: string[], passphrase: string, timeoutMs = 20_000): Promise<void> {
  const child = spawnOnTerminal([AGE, ...args].map(quote).join(" "), process.env);
  let output = "";
  let answered = 0;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    const prompts = output.match(/passphrase/gi)?.length ?? 0;
    while (answered < prompts) {
      child.stdin.write(`${passphrase}\n`);
      answered++;
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`age timed out; output: ${output}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`age exited ${code}; output: ${output}`));
    });
  });
}

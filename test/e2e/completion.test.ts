// `oauthx completion bash|zsh|fish` on the compiled binary (dist/oauthx, from `npm run build`): the
// scripts load, and completing a command line yields the expected words. bash is driven through
// COMP_WORDS/COMP_CWORD, fish through `complete -C`, zsh through a pseudo-terminal (zpty) with a
// compadd that records what it is given. Every shell must be installed (`npm test` installs them
// on Debian); a missing one fails its tests with the reason.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commands } from "../../src/cli/commands.ts";
import { builtinProviders } from "../../src/providers/generated/index.ts";
import { requireFile } from "../support/require-tool.ts";
import { BIN, run } from "../support/run-node.ts";

const BUILTIN = Object.keys(builtinProviders).sort();

describe("oauthx completion", () => {
  let home: string;
  let userHome: string;
  let scripts: Record<"bash" | "zsh" | "fish", string>;

  const env = (oauthxHome = home) => ({
    PATH: `${dirname(BIN.oauthx)}${delimiter}${process.env.PATH}`,
    HOME: home,
    OAUTHX_HOME: oauthxHome,
    NO_COLOR: "1",
  });

  beforeAll(async () => {
    if (!existsSync(BIN.oauthx)) throw new Error("dist/oauthx is missing: run `npm run build` first");
    home = mkdtempSync(join(tmpdir(), "oauthx-completion-"));
    userHome = mkdtempSync(join(tmpdir(), "oauthx-completion-user-"));
    writeFileSync(
      join(userHome, "providers.yaml"),
      "providers:\n  acme:\n    name: Acme SSO\n    issuer: https://sso.acme.example\n    client_id: my-client-id\n",
    );
    scripts = { bash: "", zsh: "", fish: "" };
    for (const shell of ["bash", "zsh", "fish"] as const) {
      const result = await run(BIN.oauthx, ["completion", shell], { env: env() });
      expect(result.code, result.stderr).toBe(0);
      scripts[shell] = result.stdout;
    }
  });
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(userHome, { recursive: true, force: true });
  });

  it("rejects a missing or unknown shell with a usage error", async () => {
    const missing = await run(BIN.oauthx, ["completion"], { env: env() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing argument: <bash|zsh|fish>");
    const unknown = await run(BIN.oauthx, ["completion", "tcsh"], { env: env() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown shell "tcsh"');
  });

  it("--providers lists built-in providers and the user's own", async () => {
    const plain = await run(BIN.oauthx, ["completion", "--providers"], { env: env() });
    expect(plain.stdout.trim().split("\n")).toEqual(BUILTIN);
    const user = await run(BIN.oauthx, ["completion", "--providers"], { env: env(userHome) });
    expect(user.stdout.trim().split("\n")).toEqual([...BUILTIN, "acme"].sort());
  });

  describe("bash", () => {
    it("loads, and registers a completion for oauthx", async () => {
      const result = await run("bash", ["-c", "source <(oauthx completion bash) && complete -p oauthx"], {
        env: env(),
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe("complete -F _oauthx oauthx");
    });

    /** The words bash would offer for a command line; the last word is the one being completed. */
    async function complete(words: string[], oauthxHome = home): Promise<string[]> {
      const script = `${scripts.bash}
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
_oauthx oauthx "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\\n' "\${COMPREPLY[@]}"`;
      const result = await run("bash", ["-c", script, "bash", ...words], { env: env(oauthxHome) });
      expect(result.code, result.stderr).toBe(0);
      return result.stdout.split("\n").filter((line) => line !== "");
    }

    it("completes commands, subcommand words, providers and shells", async () => {
      expect(await complete(["oauthx", "pro"])).toEqual(["providers"]);
      expect(await complete(["oauthx", "co"])).toEqual(["completion"]);
      expect(await complete(["oauthx", "providers", ""])).toEqual(["show"]);
      expect(await complete(["oauthx", "providers", "show", ""])).toEqual(BUILTIN);
      expect(await complete(["oauthx", "providers", "show", "gi"])).toEqual(
        BUILTIN.filter((id) => id.startsWith("gi")),
      );
      expect(await complete(["oauthx", "completion", ""])).toEqual(["bash", "zsh", "fish"]);
      expect(await complete(["oauthx", "help", "to"])).toEqual(["token"]);
      expect(await complete(["oauthx", "help", "st"])).toEqual(["status", "store"]);
    });

    it("completes the git and kubectl integrations: commands, providers, git's actions", async () => {
      expect(await complete(["oauthx", "git"])).toEqual(["git-credential"]);
      expect(await complete(["oauthx", "ku"])).toEqual(["kube-credential"]);
      expect(await complete(["oauthx", "git-credential", "gi"])).toEqual(
        BUILTIN.filter((id) => id.startsWith("gi")),
      );
      expect(await complete(["oauthx", "git-credential", "gitlab", ""])).toEqual(["get", "store", "erase"]);
      expect(await complete(["oauthx", "kube-credential", "oi"])).toEqual(["oidc"]);
    });

    it("skips flag values when counting positionals, and completes no value for them", async () => {
      expect(await complete(["oauthx", "token", "--profile", ""])).toEqual([]);
      expect(await complete(["oauthx", "token", "--profile", "work", "gi"])).toEqual(
        BUILTIN.filter((id) => id.startsWith("gi")),
      );
      expect(await complete(["oauthx", "token", "github", ""])).toEqual([]);
    });

    it("offers the user's own providers when they have a providers file", async () => {
      const words = await complete(["oauthx", "token", "a"], userHome);
      expect(words).toContain("acme");
      expect(await complete(["oauthx", "token", "a"])).not.toContain("acme");
    });

    it("after `--`, a command that runs another completes command names", async () => {
      const loaded = await Promise.all(
        commands.map(async (entry) => [entry.name, await entry.load()] as const),
      );
      const passthrough = loaded.find(([, command]) => command.passthrough)?.[0];
      expect(passthrough).toBe("exec");
      expect(await complete(["oauthx", passthrough as string, "github", "--", "ech"])).toContain("echo");
    });

    it("a repeatable <provider>... argument completes providers at every position", async () => {
      for (const entry of commands) {
        const command = await entry.load();
        const last = command.positionals.at(-1);
        if (!(last?.repeat && last.kind === "provider")) continue;
        expect(await complete(["oauthx", entry.name, "github", "gi"]), entry.name).toEqual(
          BUILTIN.filter((id) => id.startsWith("gi")),
        );
      }
    });

    it("passes shellcheck", () => {
      requireFile("/usr/bin/shellcheck");
      const result = spawnSync("shellcheck", ["-s", "bash", "-"], { input: scripts.bash, encoding: "utf8" });
      expect(result.status, result.stdout).toBe(0);
    });

    it("offers every flag of every command, as the command table defines them", async () => {
      for (const entry of commands) {
        const command = await entry.load();
        const expected = [...Object.keys(command.flags).map((name) => `--${name}`), "--help"];
        const offered = await complete(["oauthx", entry.name, "--"]);
        expect(offered, entry.name).toEqual(expect.arrayContaining(expected));
        for (const [name, flag] of Object.entries(command.flags)) {
          if (flag.short)
            expect(await complete(["oauthx", entry.name, "-"]), name).toContain(`-${flag.short}`);
        }
      }
    });
  });

  describe("zsh", () => {
    beforeAll(() => requireFile("/usr/bin/zsh"));

    it("parses, and registers _oauthx with compinit", async () => {
      const dir = mkdtempSync(join(home, "zsh-"));
      writeFileSync(join(dir, "oauthx.zsh"), scripts.zsh);
      expect(spawnSync("zsh", ["-n", join(dir, "oauthx.zsh")], { encoding: "utf8" }).status).toBe(0);
      const script = `autoload -U compinit && compinit -u -d ${dir}/zcompdump; source ${dir}/oauthx.zsh; print -r -- $_comps[oauthx]`;
      const result = await run("zsh", ["-f", "-c", script], { env: env() });
      expect(result.stdout.trim(), result.stderr).toBe("_oauthx");
    });

    /** Types the line and a TAB into an interactive zsh; returns the words passed to compadd. */
    async function complete(line: string): Promise<string[]> {
      const dir = mkdtempSync(join(home, "zsh-"));
      writeFileSync(join(dir, "oauthx.zsh"), scripts.zsh);
      const out = join(dir, "out");
      writeFileSync(out, "");
      const setup = [
        "PS1=; autoload -U compinit && compinit -u -d $D/zcompdump; source $D/oauthx.zsh",
        'compadd() { local -a m; builtin compadd -O m "$@"; print -l -- $m >> $D/out; builtin compadd "$@"; }',
      ].join("; ");
      const driver = [
        "zmodload zsh/zpty",
        "zpty z zsh -f -i",
        `zpty -w z ${shellQuote(setup)}`,
        `zpty -n -w z ${shellQuote(line)}$'\\t'`,
        // The completion has run when the recorder stops growing; give up after 10 s.
        "for i in {1..100}; do sleep 0.1; [[ -s $D/out ]] && { sleep 0.3; break; }; done",
        "zpty -d z",
      ].join("\n");
      await run("zsh", ["-f", "-c", driver], { env: { ...env(), D: dir }, timeoutMs: 20_000 });
      return readFileSync(out, "utf8")
        .split("\n")
        .filter((word) => word !== "");
    }

    it("completes commands and providers in an interactive zsh", async () => {
      expect(await complete("oauthx pro")).toContain("providers");
      const providers = await complete("oauthx providers show gi");
      expect(providers).toEqual(expect.arrayContaining(BUILTIN.filter((id) => id.startsWith("gi"))));
      expect(await complete("oauthx token --pro")).toContain("--profile");
    });
  });

  describe("fish", () => {
    beforeAll(() => requireFile("/usr/bin/fish"));

    async function complete(line: string, oauthxHome = home): Promise<string[]> {
      const script = `oauthx completion fish | source; complete -C ${shellQuote(line)}`;
      const result = await run("fish", ["--no-config", "-c", script], { env: env(oauthxHome) });
      expect(result.code, result.stderr).toBe(0);
      return result.stdout
        .split("\n")
        .filter((row) => row !== "")
        .map((row) => row.split("\t")[0]!);
    }

    it("parses (fish -n)", () => {
      const dir = mkdtempSync(join(home, "fish-"));
      writeFileSync(join(dir, "oauthx.fish"), scripts.fish);
      const result = spawnSync("fish", ["--no-config", "-n", join(dir, "oauthx.fish")], { encoding: "utf8" });
      expect(result.status, result.stderr).toBe(0);
    });

    it("completes commands, flags, providers (built-in and the user's) and shells", async () => {
      expect(await complete("oauthx pro")).toEqual(["providers"]);
      expect(await complete("oauthx providers ")).toEqual(["show"]);
      expect(await complete("oauthx providers show gi")).toEqual(BUILTIN.filter((id) => id.startsWith("gi")));
      expect(await complete("oauthx token --profile work gi")).toEqual(
        BUILTIN.filter((id) => id.startsWith("gi")),
      );
      expect(await complete("oauthx token --pro")).toEqual(["--profile"]);
      expect(await complete("oauthx completion ")).toEqual(["bash", "fish", "zsh"]);
      expect(await complete("oauthx kube-")).toEqual(["kube-credential"]);
      expect(await complete("oauthx token ac", userHome)).toEqual(["acme"]);
    });
  });
});

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

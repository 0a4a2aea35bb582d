// `oauthx doctor`: checks what usually goes wrong, each finding with its remedy. Reads only; the
// one network request per provider is a HEAD to compare clocks (a skewed clock makes valid tokens
// look expired, or expired ones valid).

import { existsSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import process from "node:process";
import type { Context } from "../core/context.ts";
import { resolveEndpoints } from "../core/endpoints.ts";
import { clientFor } from "../core/provider-client.ts";
import { loginCommand } from "../core/token-manager.ts";
import { EXIT, isOauthxError, type OauthxError, toOauthxError } from "../errors.ts";
import { browserCommand } from "../platform/browser.ts";
import type { Registry } from "../providers/registry.ts";
import type { StoreDocument, TokenEntry } from "../store/document.ts";
import { type HomeFiles, homeFiles } from "../store/home-files.ts";
import { defineCommand } from "./command.ts";
import { relativeTime, table } from "./output.ts";
import { loginState } from "./status.ts";

type Status = "ok" | "warn" | "fail";

export interface Finding {
  check: string;
  status: Status;
  detail: string;
  remedy?: string;
}

/** Clocks further apart than this make expiry decisions wrong by more than the skew margin. */
const MAX_CLOCK_SKEW_SECONDS = 30;

export const command = defineCommand({
  positionals: [],
  flags: {
    json: { type: "boolean", help: "Print the findings as JSON on stdout" },
    offline: { type: "boolean", help: "Skip the clock check (no network)" },
  },
  async run(ctx, { flags }) {
    const findings = await diagnose(ctx, { offline: flags.offline === true });
    if (flags.json) {
      ctx.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
    } else {
      const rows = findings.map((finding) => [finding.status.toUpperCase(), finding.check, finding.detail]);
      ctx.stdout.write(table([["", "CHECK", "FINDING"], ...rows]));
      for (const finding of findings) {
        if (finding.remedy && finding.status !== "ok")
          ctx.stderr.write(`${finding.check}: ${finding.remedy}\n`);
      }
    }
    return findings.some((finding) => finding.status === "fail") ? EXIT.failed : EXIT.ok;
  },
});

export async function diagnose(ctx: Context, options: { offline: boolean }): Promise<Finding[]> {
  const findings: Finding[] = [];
  const files = homeFiles(ctx.home);
  findings.push(checkHome(files.home));
  findings.push(...(await checkIdentity(ctx, files)));

  let registry: Registry | undefined;
  try {
    const { loadRegistry } = await import("../providers/registry.ts");
    registry = await loadRegistry(ctx.home);
    const user = existsSync(files.providers) ? `; ${files.providers} is valid` : "";
    findings.push({ check: "providers", status: "ok", detail: `${registry.ids().length} providers${user}` });
  } catch (error) {
    findings.push(failure("providers", error));
  }

  let document: StoreDocument | undefined;
  try {
    const { openStore } = await import("../store/store.ts");
    document = await openStore({ home: ctx.home, env: ctx.env, now: ctx.now }).read();
    const count = Object.values(document.profiles).reduce(
      (sum, profiles) => sum + Object.keys(profiles).length,
      0,
    );
    findings.push({
      check: "store",
      status: "ok",
      detail: existsSync(files.store)
        ? `${files.store} decrypts; ${count} login(s)`
        : "no store yet (nothing logged in)",
    });
  } catch (error) {
    findings.push(failure("store", error));
  }

  for (const [provider, profiles] of Object.entries(document?.profiles ?? {})) {
    for (const [profile, entry] of Object.entries(profiles)) {
      const state = loginState(entry, ctx.now());
      const expiry =
        entry.expires_at === undefined
          ? "no expiry"
          : `expires ${relativeTime(entry.expires_at - ctx.now() / 1000)}`;
      const detail = `${state}; ${expiry}; refresh token ${entry.refresh_token ? "held" : "none"}`;
      // Valid now, but the next refresh would fail: say so before the token expires.
      const refreshProblem =
        entry.refresh_token && registry ? credentialsProblem(ctx, registry, provider, entry) : undefined;
      const remedy = refreshProblem
        ? refreshProblem.remedy
        : state === "needs login"
          ? loginCommand(provider, profile)
          : undefined;
      findings.push({
        check: `login ${provider}/${profile}`,
        status: refreshProblem || state === "needs login" ? "warn" : "ok",
        detail: refreshProblem ? `${detail}; a refresh would fail: ${refreshProblem.message}` : detail,
        ...(remedy ? { remedy } : {}),
      });
    }
    if (!options.offline && registry) findings.push(await checkClock(ctx, registry, provider, document));
  }
  findings.push(checkBrowser(ctx));
  return findings;
}

function checkHome(home: string): Finding {
  if (!existsSync(home)) return { check: "home", status: "ok", detail: `${home} (not created yet)` };
  const mode = statSync(home).mode & 0o777;
  if (process.platform !== "win32" && (mode & 0o022) !== 0) {
    return {
      check: "home",
      status: "fail",
      detail: `${home} is writable by others (mode ${mode.toString(8)})`,
      remedy: `chmod 700 ${home}`,
    };
  }
  return { check: "home", status: "ok", detail: `${home} (mode ${mode.toString(8).padStart(4, "0")})` };
}

async function checkIdentity(ctx: Context, files: HomeFiles): Promise<Finding[]> {
  if (ctx.env.OAUTHX_PASSPHRASE)
    return [{ check: "identity", status: "ok", detail: "passphrase mode (OAUTHX_PASSPHRASE)" }];
  const { identityStatus } = await import("../store/identity/status.ts");
  const status = await identityStatus(ctx.env, files);
  const keychain: Finding = {
    check: "keychain",
    status: status.keychain.answers || status.home !== "keychain" ? "ok" : "fail",
    detail: status.keychain.answers
      ? `${status.keychain.name} answers`
      : `${status.keychain.name} does not answer: ${status.keychain.reason}`,
  };
  if (status.problem) {
    return [
      {
        check: "identity",
        status: "fail",
        detail: `${status.problem.message} [${status.problem.code}]`,
        ...(status.problem.remedy ? { remedy: status.problem.remedy } : {}),
      },
      keychain,
    ];
  }
  if (status.home === "none")
    return [
      { check: "identity", status: "ok", detail: `none yet; ${files.identity} is created at first login` },
      keychain,
    ];
  if (status.home === "keychain")
    return [{ check: "identity", status: "ok", detail: `in ${status.where}` }, keychain];
  if ((status.home === "file" || status.home === "env-file") && process.platform !== "win32") {
    const mode = statSync(status.where).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      return [
        {
          check: "identity",
          status: "fail",
          detail: `${status.where} is readable by others (mode ${mode.toString(8)})`,
          remedy: `chmod 600 ${status.where}`,
        },
        keychain,
      ];
    }
  }
  // A key beside the store goes wherever the store goes (backups, synced dotfiles): suggest the move.
  const suggest = status.home === "file" && status.keychain.answers;
  return [
    {
      check: "identity",
      status: suggest ? "warn" : "ok",
      detail: `from ${status.where}${suggest ? `; ${status.keychain.name} could hold it instead` : ""}`,
      ...(suggest ? { remedy: "oauthx identity move keychain" } : {}),
    },
    keychain,
  ];
}

/** Why this login's client credentials cannot be resolved for a refresh, if they cannot. */
function credentialsProblem(
  ctx: Context,
  registry: Registry,
  provider: string,
  entry: TokenEntry,
): OauthxError | undefined {
  try {
    clientFor(ctx, registry.get(provider), entry);
    return undefined;
  } catch (error) {
    if (isOauthxError(error)) return error;
    throw error;
  }
}

/** Compares our clock with the Date header of the provider's token endpoint host. */
async function checkClock(
  ctx: Context,
  registry: Registry,
  provider: string,
  document: StoreDocument | undefined,
): Promise<Finding> {
  const check = `clock vs ${provider}`;
  try {
    const entry = registry.get(provider);
    const stored = document?.profiles[provider] ? Object.values(document.profiles[provider])[0] : undefined;
    const client = await resolveEndpoints(clientFor(ctx, entry, stored, { endpointsOnly: true }), document);
    const target = client.server.token_endpoint ?? client.server.issuer;
    if (!target) return { check, status: "warn", detail: "no endpoint to ask" };
    const url = new URL(target);
    const response = await fetch(url.origin, { method: "HEAD", signal: AbortSignal.timeout(5000) });
    const date = response.headers.get("date");
    if (!date) return { check, status: "warn", detail: `${url.host} sent no Date header` };
    const skew = Math.round((ctx.now() - Date.parse(date)) / 1000);
    if (Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS) {
      return {
        check,
        status: "warn",
        detail: `this clock is ${Math.abs(skew)} s ${skew > 0 ? "ahead of" : "behind"} ${url.host}`,
        remedy: "synchronise the system clock (e.g. timedatectl set-ntp true)",
      };
    }
    return { check, status: "ok", detail: `within ${Math.abs(skew)} s of ${url.host}` };
  } catch (error) {
    const detail = isOauthxError(error) ? error.message : "the provider could not be reached";
    return { check, status: "warn", detail, remedy: "run again online, or with --offline" };
  }
}

function checkBrowser(ctx: Context): Finding {
  const { command } = browserCommand("https://example.invalid", ctx.env);
  const found = command.includes("/") ? existsSync(command) : onPath(command, ctx.env.PATH ?? "");
  if (found) return { check: "browser", status: "ok", detail: `opens with ${command}` };
  return {
    check: "browser",
    status: "warn",
    detail: `${command} not found: login will print the URL for you to open`,
    remedy: "set BROWSER, or use oauthx login --no-browser / --device",
  };
}

function onPath(command: string, path: string): boolean {
  return path.split(delimiter).some((directory) => directory && existsSync(join(directory, command)));
}

function failure(check: string, error: unknown): Finding {
  const typed = toOauthxError(error);
  return {
    check,
    status: "fail",
    detail: `${typed.message} [${typed.code}]`,
    ...(typed.remedy ? { remedy: typed.remedy } : {}),
  };
}

// `oauthx doctor`: checks what usually goes wrong, each finding with its remedy. Reads only; the
// one network request per provider is a HEAD to compare clocks (a skewed clock makes valid tokens
// look expired, or expired ones valid).

import { existsSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import process from "node:process";
import type { Context } from "../../core/context.ts";
import { resolveEndpoints } from "../../core/endpoints.ts";
import { clientFor } from "../../core/provider-client.ts";
import { loginCommand } from "../../core/token-manager.ts";
import { EXIT, isOauthxError, type OauthxError, toOauthxError } from "../../errors.ts";
import { browserCommand, noBrowserReason } from "../../platform/browser.ts";
import type { Registry } from "../../providers/registry.ts";
import type { StoreDocument, TokenEntry } from "../../store/document.ts";
import { type HomeFiles, homeFiles } from "../../store/home-files.ts";
import { defineCommand } from "../command.ts";
import { relativeTime, table } from "../output.ts";
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
    profile: { type: "string", value: "NAME", help: "Check only the logins of this profile" },
  },
  async run(ctx, { flags }) {
    const findings = await diagnose(ctx, {
      offline: flags.offline === true,
      ...(flags.profile === undefined ? {} : { profile: flags.profile }),
    });
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

export async function diagnose(
  ctx: Context,
  options: { offline: boolean; profile?: string },
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const files = homeFiles(ctx.home);
  findings.push(checkHome(files.home));
  findings.push(...(await checkIdentity(ctx, files)));

  let registry: Registry | undefined;
  try {
    const { loadRegistry } = await import("../../providers/registry.ts");
    registry = await loadRegistry(ctx.home, { env: ctx.env });
    const user = existsSync(files.providers) ? `; ${files.providers} is valid` : "";
    findings.push({ check: "providers", status: "ok", detail: `${registry.ids().length} providers${user}` });
  } catch (error) {
    findings.push(failure("providers", error));
  }

  let document: StoreDocument | undefined;
  const { sharedStoreUrl } = await import("../../core/shared-store.ts");
  let shared: URL | undefined;
  try {
    shared = sharedStoreUrl(ctx.env);
    if (shared) findings.push(await checkShared(ctx, shared));
  } catch (error) {
    findings.push(failure("shared store", error));
  }
  try {
    const { openConfiguredStore } = await import("../../core/shared-store.ts");
    document = await (await openConfiguredStore(ctx)).read();
    const count = Object.values(document.profiles).reduce(
      (sum, profiles) => sum + Object.keys(profiles).length,
      0,
    );
    findings.push({
      check: "store",
      status: "ok",
      detail: shared
        ? `the shared store's rows decrypt; ${count} login(s)`
        : existsSync(files.store)
          ? `${files.store} decrypts; ${count} login(s)`
          : "no store yet (nothing logged in)",
    });
  } catch (error) {
    findings.push(failure("store", error));
  }

  // One clock measurement per origin: providers on one server (a public and a confidential client)
  // share it, and no second HEAD goes out on the connection the first left open (see serverDate).
  const measured = new Map<string, Promise<ServerDate>>();
  for (const [provider, profiles] of Object.entries(document?.profiles ?? {})) {
    const checked = Object.entries(profiles).filter(
      ([profile]) => options.profile === undefined || profile === options.profile,
    );
    if (checked.length === 0) continue;
    for (const [profile, entry] of checked) {
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
        : state === "needs login" || state === "refresh refused"
          ? loginCommand(provider, profile)
          : undefined;
      findings.push({
        check: `login ${provider}/${profile}`,
        status: refreshProblem || state === "needs login" || state === "refresh refused" ? "warn" : "ok",
        detail: refreshProblem ? `${detail}; a refresh would fail: ${refreshProblem.message}` : detail,
        ...(remedy ? { remedy } : {}),
      });
    }
    if (!options.offline && registry)
      findings.push(await checkClock(ctx, registry, provider, document, measured));
  }
  findings.push(checkBrowser(ctx));
  return findings;
}

/** OAUTHX_STORE: reachable, a schema this oauthx knows, the four privileges (docs/shared-store.md). */
async function checkShared(ctx: Context, url: URL): Promise<Finding> {
  const { checkSharedStore } = await import("../../core/shared-store.ts");
  const { detail, missing, schema } = await checkSharedStore(ctx, url);
  if (schema === undefined)
    return {
      check: "shared store",
      status: "warn",
      detail,
      remedy: "the first login creates it, if the role may (docs/shared-store.md)",
    };
  if (missing.length > 0) {
    return {
      check: "shared store",
      status: "fail",
      detail,
      remedy: `GRANT ${missing.join(", ")} ON oauthx_logins TO the role in OAUTHX_STORE (docs/shared-store.md)`,
    };
  }
  return { check: "shared store", status: "ok", detail };
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
  const { identityStatus } = await import("../../store/identity/status.ts");
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
  if (status.home === "none") {
    // With the file store written already, no identity is not "none yet": the one that opens it is lost.
    if (existsSync(files.store) && !ctx.env.OAUTHX_STORE) {
      return [
        {
          check: "identity",
          status: "fail",
          detail: `${files.identity} is missing, but ${files.store} exists: the identity that opens it is gone`,
          remedy: `restore ${files.identity} from a backup, or set OAUTHX_AGE_IDENTITY; if it is lost for good, \`oauthx help store\` says how to start over`,
        },
        keychain,
      ];
    }
    return [
      { check: "identity", status: "ok", detail: `none yet; ${files.identity} is created at first login` },
      keychain,
    ];
  }
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
  measured: Map<string, Promise<ServerDate>>,
): Promise<Finding> {
  const check = `clock vs ${provider}`;
  try {
    const entry = registry.get(provider);
    const stored = document?.profiles[provider] ? Object.values(document.profiles[provider])[0] : undefined;
    const client = await resolveEndpoints(clientFor(ctx, entry, stored, { endpointsOnly: true }), document);
    const target = client.server.token_endpoint ?? client.server.issuer;
    if (!target) return { check, status: "warn", detail: "no endpoint to ask" };
    const url = new URL(target);
    let pending = measured.get(url.origin);
    if (!pending) {
      pending = serverDate(url, ctx.now);
      measured.set(url.origin, pending);
    }
    const answer = await pending;
    if ("failure" in answer) {
      return { check, status: "warn", detail: answer.failure, remedy: "run again online, or with --offline" };
    }
    if (answer.date === undefined)
      return { check, status: "warn", detail: `${url.host} sent no Date header` };
    // The Date header counts whole seconds (RFC 9110 §6.6.1): compare with the moment it was sent.
    const skew = Math.round((answer.localMs - answer.date) / 1000);
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

type ServerDate = { date: number | undefined; localMs: number } | { failure: string };

const CLOCK_TIMEOUT_MS = 5000;

/**
 * A HEAD to the origin for its Date header. Why it goes through sendHttp and is retried: the check
 * used to say "could not be reached" now and then while the server answered every request. It
 * was oauthx's one request made with a bare fetch: no retry of a connection that failed before
 * the request left (sendHttp retries those), and no error code in the message. A connection reset
 * as the request arrives (a kept-alive connection closed at the server's idle timeout, a full
 * listen backlog, a worker restarting) never reaches the server's log, and failed the check. HEAD
 * is idempotent, and RFC 9112 §9.3.1 lets a client retry an idempotent request on a new
 * connection when the old one closed before the answer: so one retry after any failure but a
 * timeout, each attempt bounded, and a last failure that names its code.
 */
async function serverDate(url: URL, now: () => number): Promise<ServerDate> {
  const { sendHttp, isTimeoutFailure } = await import("../../oauth/http.ts");
  let failure = "";
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const result = await sendHttp(
        { method: "HEAD", url: new URL(url.origin) },
        { timeoutMs: CLOCK_TIMEOUT_MS },
      );
      const localMs = now();
      const date = result.headers.get("date");
      const parsed = date === null ? Number.NaN : Date.parse(date);
      return { date: Number.isNaN(parsed) ? undefined : parsed, localMs };
    } catch (error) {
      if (!isOauthxError(error)) throw error;
      failure = error.message;
      if (error.code !== "NETWORK" || isTimeoutFailure(error)) break;
    }
  }
  return { failure };
}

function checkBrowser(ctx: Context): Finding {
  const none = noBrowserReason(ctx.env);
  if (none) {
    return {
      check: "browser",
      status: "warn",
      detail: `no browser can open here (${none}); login asks for the address the browser ends on, pasted back`,
      remedy: "open the printed URL on any machine, or use oauthx login --device where the provider has it",
    };
  }
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

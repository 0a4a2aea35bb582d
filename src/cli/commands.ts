// The command table. Modules load lazily: `oauthx token` pays only for what `token` imports.

import type { Command } from "./command.ts";

export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: "providers",
    summary: "List the providers oauthx knows, built-in and your own",
    load: async () => (await import("./inspect/providers.ts")).command,
  },
  {
    name: "login",
    summary: "Log in through the browser (PKCE) or the device flow",
    load: async () => (await import("./login/login.ts")).command,
  },
  {
    name: "token",
    summary: "Print a fresh access token",
    load: async () => (await import("./tokens/token.ts")).command,
  },
  {
    name: "exec",
    summary: "Run a command with fresh tokens in its environment",
    load: async () => (await import("./tokens/exec.ts")).command,
  },
  {
    name: "api",
    summary: "Make an authenticated API request",
    load: async () => (await import("./tokens/api.ts")).command,
  },
  {
    name: "status",
    summary: "Show each login: account, scopes, expiry, state",
    load: async () => (await import("./inspect/status.ts")).command,
  },
  {
    name: "refresh",
    summary: "Refresh a token now",
    load: async () => (await import("./tokens/refresh.ts")).command,
  },
  {
    name: "logout",
    summary: "Revoke at the provider and delete the login",
    load: async () => (await import("./login/logout.ts")).command,
  },
  {
    name: "git-credential",
    summary: "git's credential helper: fresh tokens for git over HTTPS",
    load: async () => (await import("./integrations/git-credential.ts")).command,
  },
  {
    name: "kube-credential",
    summary: "kubectl's exec credential plugin: a fresh token for a cluster",
    load: async () => (await import("./integrations/kube-credential.ts")).command,
  },
  {
    name: "doctor",
    summary: "Check the setup: files, identity, store, logins, clock, browser",
    load: async () => (await import("./inspect/doctor.ts")).command,
  },
  {
    name: "seed",
    summary: "Log in anew for CI: print the refresh token, keep nothing",
    load: async () => (await import("./login/seed.ts")).command,
  },
  {
    name: "identity",
    summary: "Where the store's key is (file, OS keychain); move it",
    load: async () => (await import("./identity/identity.ts")).command,
  },
  {
    name: "export",
    summary: "Print a refresh token, to seed a CI secret",
    load: async () => (await import("./tokens/export.ts")).command,
  },
  {
    name: "completion",
    summary: "Print a shell completion script (bash, zsh, fish)",
    load: async () => (await import("./completion/completion.ts")).command,
  },
];

export function findCommand(name: string): CommandEntry | undefined {
  return commands.find((entry) => entry.name === name);
}

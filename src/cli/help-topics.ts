// `oauthx help <topic>`: what a binary's user needs and the repository's docs/ say at length, in
// a screen each, so that messages can point at something every install has. Loaded only by help.

export const HELP_TOPICS = {
  "providers-file": "Your own providers and overrides: $OAUTHX_HOME/providers.yaml",
  ci: "CI mode: a refresh token in the environment, the per-job cache, rotation",
  security: "Where tokens live, where they may go, what oauthx does not protect against",
  store: "The files, backup, a new machine, a lost identity, uninstall and reset",
  environment: "The environment variables oauthx reads",
} as const;

export type HelpTopic = keyof typeof HELP_TOPICS;

export function isHelpTopic(word: string): word is HelpTopic {
  return Object.hasOwn(HELP_TOPICS, word);
}

export async function topicHelp(topic: HelpTopic): Promise<string> {
  if (topic === "providers-file") return providersFileHelp();
  return `${TEXTS[topic]}\n`;
}

async function providersFileHelp(): Promise<string> {
  // The field list comes from the schema the file is validated with, so it cannot drift.
  const { providerSchema } = await import("../providers/schema.ts");
  const fields = wrap(Object.keys(providerSchema.entries).join(", "), 96, "  ");
  return `Your providers live in $OAUTHX_HOME/providers.yaml (default ~/.config/oauthx/providers.yaml):

  providers:
    acme:                                  # the id: lower-case letters, digits and '-'
      name: Acme SSO
      issuer: https://sso.acme.example     # endpoints by OpenID discovery, or name them:
      # authorization_endpoint: https://sso.acme.example/authorize
      # token_endpoint: https://sso.acme.example/token
      client_id: acme-cli                  # or OAUTHX_ACME_CLIENT_ID
      scopes: [openid, offline_access]

An entry with a built-in's id overrides only the fields it names (github: {client_id: …}); a
provider of another kind gets an id of its own. \`oauthx login --issuer URL --client-id ID\` adds
an OpenID Connect provider for you. \`oauthx providers show <id>\` prints a provider's values and
where each came from (built-in, your file, the environment, a login).

Fields:
${fields}
`;
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && indent.length + line.length + word.length + 1 > width) {
      lines.push(indent + line.trimEnd());
      line = "";
    }
    line += `${word} `;
  }
  if (line !== "") lines.push(indent + line.trimEnd());
  return lines.join("\n");
}

const TEXTS: Record<Exclude<HelpTopic, "providers-file">, string> = {
  ci: `CI mode: when OAUTHX_<ID>_REFRESH_TOKEN is set (with OAUTHX_<ID>_CLIENT_ID, and the secret
if the provider needs one), token, exec and api work from that refresh token, the seed: no store,
no browser, nothing written under OAUTHX_HOME.

- Make the seed with \`oauthx seed <provider>\` on a workstation: a new login whose refresh token
  goes to stdout (| gh secret set OAUTHX_<ID>_REFRESH_TOKEN) and is kept nowhere else.
- The seed must be a grant of its own, used by CI alone. With a provider that rotates refresh
  tokens, a workstation and a CI job refreshing the same grant spend each other's tokens, and a
  server with reuse detection then revokes the grant for both.
- The calls of one job share an encrypted cache (in $RUNNER_TEMP on GitHub Actions, else
  OAUTHX_CI_CACHE_DIR or the temp directory): one refresh per access token, however many steps.
  OAUTHX_CI_CACHE=off keeps tokens in memory only.
- A rotated refresh token is handed to OAUTHX_ON_ROTATE on its stdin, to store it back into the
  CI secret (e.g. OAUTHX_ON_ROTATE='gh secret set OAUTHX_GITLAB_REFRESH_TOKEN'), on every call until
  it succeeds. What the hook prints goes to stderr, the token replaced by [redacted].
- Jobs on different machines that share one rotating seed race each other: give each its own.
- REFRESH_REJECTED in CI: the seed was spent or revoked; re-seed the
  secret with \`oauthx seed <provider>\`.

No stored secret: a provider whose entry has a federation block (built in: entra, google-cloud)
exchanges the job's own OIDC identity token instead: OAUTHX_<ID>_ID_TOKEN, OAUTHX_<ID>_ID_TOKEN_FILE,
or under GitHub Actions a job with \`permissions: id-token: write\`. One exchange per access token;
a seed, when set too, wins. FEDERATION_REFUSED shows the iss, sub and aud the provider's trust
policy refused.`,

  security: `- Tokens live in $OAUTHX_HOME/tokens.age (default ~/.config/oauthx), an age file, 0600 in a
  0700 directory, opened with identity.txt beside it (or OAUTHX_AGE_IDENTITY,
  OAUTHX_AGE_IDENTITY_FILE). OAUTHX_PASSPHRASE, set when the store is first written, keeps no key
  on disk. \`age -d -i identity.txt tokens.age\` shows the JSON.
- A login's tokens go only to the origins that issued it: an environment variable, an edited
  providers file or a changed discovery document cannot send them elsewhere (ORIGIN_MISMATCH).
  \`oauthx api\` sends the access token to the provider's API only, unless --allow-host names
  another host.
- No token, code, verifier, secret or identity in a message, log, error or a child's argv; a
  child of exec never sees oauthx's own secrets. Callback servers listen on loopback only.
- PKCE S256, state and nonce, iss checked; one-time credentials are never sent twice.
- Not defended against: code running as your user (it can read identity.txt as oauthx does; use
  passphrase mode), a compromised provider or TLS, and a providers file you wrote that sends
  tokens somewhere on purpose.`,

  environment: `OAUTHX_HOME                  oauthx's directory (default $XDG_CONFIG_HOME/oauthx, else ~/.config/oauthx)
OAUTHX_AGE_IDENTITY          the age identity itself, instead of identity.txt
OAUTHX_AGE_IDENTITY_FILE     a file holding the age identity
OAUTHX_IDENTITY_CACHE        off: a keychain identity is not kept in the kernel keyring (Linux)
OAUTHX_PASSPHRASE            passphrase mode: the store is encrypted with it, no key on disk
OAUTHX_STORE                 postgres://…: the shared store for many machines (needs the binary)
OAUTHX_STORE_RECIPIENTS      the shared store: more age recipients each written row is sealed to
OAUTHX_<ID>_CLIENT_ID        the OAuth app's client id (<ID>: the provider id in capitals, - as _)
OAUTHX_<ID>_CLIENT_SECRET    the OAuth app's client secret
OAUTHX_<ID>_<SETTING>        a --set value (OAUTHX_MICROSOFT_TENANT); one that differs from the login's is refused
OAUTHX_<ID>_REFRESH_TOKEN    CI mode: the seed (oauthx help ci)
OAUTHX_<ID>_TOKEN_ORIGIN     CI: the only origin the seed or identity token may be sent to
OAUTHX_<ID>_ID_TOKEN         federated CI: the job's OIDC identity token (oauthx help ci)
OAUTHX_<ID>_ID_TOKEN_FILE    federated CI: a file holding it, read at every exchange
OAUTHX_ON_ROTATE             CI: a command that stores each rotated refresh token, from its stdin
OAUTHX_CI_CACHE              CI: off keeps tokens in memory only
OAUTHX_CI_CACHE_DIR          CI: where the per-job cache lives
OAUTHX_LOCK_TIMEOUT_MS       how long to wait for the store lock (default 30000)
BROWSER                      the program login opens the URL with
NO_COLOR                     no colour on a terminal (only error: and warning: are ever coloured)
OAUTHX_DEBUG                 print the stack of an internal error`,

  store: `Files in $OAUTHX_HOME (default ~/.config/oauthx; \`oauthx doctor\` prints it):
  tokens.age      the logins, age-encrypted (0600)
  identity.txt    the key that opens tokens.age (0600): without it the logins are lost
  providers.yaml  your providers, if any
  identity-location.json  instead of identity.txt once the key is in the OS keychain

Back up identity.txt somewhere safe; tokens.age alone is useless to anyone, you included.
\`oauthx identity move keychain\` puts the key in the OS keychain instead (Bun binary only), so a
copy of the directory no longer opens the store; \`oauthx identity move file\` brings it back.

A new machine: log in there again (simplest: a login per machine), or copy the three files into
the new $OAUTHX_HOME (chmod 700 the directory, 600 the files). After a copy, use each login
whose provider rotates refresh tokens on one machine only: two copies refreshing one grant spend
each other's tokens, and the provider may revoke it.

A lost or wrong identity (DECRYPT_FAILED, "identity.txt is missing"): nothing can open the store.
Move it aside (mv tokens.age tokens.age.lost), log in again to each provider, and revoke the old
grants at each provider's account page: oauthx can no longer reach their tokens to revoke them.

The shared store (OAUTHX_STORE=postgres://…): a row is sealed to exactly the writing machine's key
and its OAUTHX_STORE_RECIPIENTS; give every machine the same list. DECRYPT_FAILED "not sealed to
this machine's key": on a machine that opens it, add this machine's public key (age-keygen -y) to
OAUTHX_STORE_RECIPIENTS, then run \`oauthx refresh <provider>\` there: a write under another list
seals the row afresh, same grant. To remove a machine, drop its key and refresh likewise, then
rotate the grant (logout, login): it has seen the tokens.

Uninstall or reset: \`oauthx logout <provider>\` for each login in \`oauthx status\` (it revokes at
the provider), then remove $OAUTHX_HOME (rm -r ~/.config/oauthx) and the oauthx binary. Shell
completion, git and kubectl configurations that name oauthx are yours to remove.`,
};

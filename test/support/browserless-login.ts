// Completes oidc-provider's development login and consent pages over plain HTTP, the way a browser
// would but without one: a cookie jar, redirects followed by hand, forms read from the HTML and
// submitted. It stops at the first redirect that leaves the authorization server (the loopback
// redirect URI) and, by default, delivers it there with a GET — exactly what the browser does.
// Also drives the device flow pages (user code → confirm → login → consent → success).
// Used by the integration tests and by `npm run demo`. Knows oidc-provider's dev pages only.

export interface BrowserlessLoginOptions {
  /** Any login name; oidc-provider's dev login accepts anything. Default "alice". */
  login?: string;
  /** Approve (default) or deny at the consent page / device confirmation page. */
  decision?: "approve" | "deny";
  /** For the device flow's code entry page, when the start URL does not carry it. */
  userCode?: string;
  /** GET the final redirect target (the loopback server). Default true. */
  deliver?: boolean;
  /** Safety limit on requests. Default 20. */
  maxSteps?: number;
}

export interface BrowserlessLoginResult {
  /** Where the server finally redirected outside its own origin (the redirect URI with code/state). */
  redirect?: URL;
  /** Status and body of the last response read: the loopback page, or the server's final page. */
  status: number;
  body: string;
  /** Method and path of each request, for failure messages. */
  steps: string[];
}

interface Form {
  id: string | undefined;
  action: string;
  fields: Map<string, string>;
}

function unescapeHtml(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, "i").exec(tag);
  return match ? unescapeHtml(match[1] as string) : undefined;
}

function firstForm(html: string): Form | undefined {
  const match = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!match) return undefined;
  const [, formTag = "", inner = ""] = match;
  const fields = new Map<string, string>();
  for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
    const name = attribute(input[0], "name");
    if (name) fields.set(name, attribute(input[0], "value") ?? "");
  }
  return { id: attribute(formTag, "id"), action: attribute(formTag, "action") ?? "", fields };
}

class CookieJar {
  readonly #cookies = new Map<string, string>();
  store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0\b/i.test(line);
      if (expired || value === "") this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

export async function browserlessLogin(
  startUrl: string | URL,
  options: BrowserlessLoginOptions = {},
): Promise<BrowserlessLoginResult> {
  const login = options.login ?? "alice";
  const deny = options.decision === "deny";
  const maxSteps = options.maxSteps ?? 20;
  const jar = new CookieJar();
  const steps: string[] = [];
  let url = new URL(startUrl);
  const origin = url.origin;
  let method: "GET" | "POST" = "GET";
  let body: URLSearchParams | undefined;
  let userCodeSubmitted = false;

  for (let step = 0; step < maxSteps; step++) {
    if (url.origin !== origin) {
      steps.push(`GET ${url.origin}${url.pathname} (redirect target)`);
      if (options.deliver === false) return { redirect: url, status: 0, body: "", steps };
      const delivered = await fetch(url, { redirect: "manual" });
      return { redirect: url, status: delivered.status, body: await delivered.text(), steps };
    }
    steps.push(`${method} ${url.pathname}`);
    const response = await fetch(url, {
      method,
      redirect: "manual",
      headers: {
        cookie: jar.header(),
        ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(body ? { body } : {}),
    });
    jar.store(response.headers);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url);
      method = "GET";
      body = undefined;
      continue;
    }
    const html = await response.text();
    const form = firstForm(html);
    if (!form) return { status: response.status, body: html, steps };

    const prompt = form.fields.get("prompt");
    if (prompt === "login") {
      form.fields.set("login", login);
      form.fields.set("password", "any password");
    } else if (prompt === "consent" && deny) {
      // The dev consent page's "[ Cancel ]" link aborts the interaction with access_denied.
      const abort = /href="([^"]*\/abort)"/.exec(html);
      if (!abort) throw new Error(`no abort link on the consent page (steps: ${steps.join(" → ")})`);
      url = new URL(unescapeHtml(abort[1] as string), url);
      method = "GET";
      body = undefined;
      continue;
    } else if (form.id === "op.deviceInputForm") {
      // Shown again after a code was submitted: the code was refused or the request aborted.
      if (userCodeSubmitted) return { status: response.status, body: html, steps };
      if (!options.userCode) throw new Error("the device code page asks for a user code: pass userCode");
      form.fields.set("user_code", options.userCode);
    } else if (form.id === "op.deviceConfirmForm" && deny) {
      form.fields.delete("confirm");
      form.fields.set("abort", "yes");
    }
    // Otherwise (consent approval, device confirmation, form_post auto-submit pages): submit as is.
    if (form.fields.has("user_code")) userCodeSubmitted = true;
    url = new URL(form.action, url);
    method = "POST";
    body = new URLSearchParams([...form.fields]);
  }
  throw new Error(
    `browserless login did not finish within ${maxSteps} requests (steps: ${steps.join(" → ")})`,
  );
}

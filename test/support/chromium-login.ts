// Signing in as a person does, in Chromium: oidc-provider's login page (any name and password),
// then its consent page, until the browser lands on the loopback redirect. Used by the browser
// e2e test and by `npm run demo`.

import type { Browser } from "playwright-core";

export const CHROMIUM_PATH = process.env.OAUTHX_CHROMIUM ?? "/usr/bin/chromium";

/** The flags these machines need: no sandbox as root, no GPU, no background calls to the internet. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--no-first-run",
];

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Opens the authorization URL, signs in as `login`, consents; returns the loopback page's text. */
export async function signInWithChromium(
  browser: Browser,
  url: string,
  login: string,
): Promise<{ text: string; html: string }> {
  const page = await browser.newPage();
  try {
    // The dev pages import a web font from the internet; this machine has no internet.
    await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
    await page.goto(url, { waitUntil: "domcontentloaded" });
    await page.fill('input[name="login"]', login);
    await page.fill('input[name="password"]', "any password");
    await page.click('button[type="submit"]');
    await page.waitForSelector('input[name="prompt"][value="consent"]', { state: "attached" });
    await page.click('button[type="submit"]');
    await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
    return { text: (await page.textContent("body")) ?? "", html: await page.content() };
  } finally {
    await page.close();
  }
}

/** Reads a running `oauthx login --no-browser`'s stderr until the authorization URL appears. */
export function authorizationUrlFrom(
  stderr: NodeJS.ReadableStream,
  echo?: (chunk: string) => void,
): Promise<string> {
  let text = "";
  return new Promise((resolve) => {
    stderr.setEncoding("utf8");
    stderr.on("data", (chunk: string) => {
      echo?.(chunk);
      text += chunk;
      const match = /^\s+(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)$/m.exec(text);
      if (match) resolve(match[1] as string);
    });
  });
}

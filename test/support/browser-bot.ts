// A stand-in for a person's browser, for $BROWSER: given the authorization URL as its one
// argument, it completes oidc-provider's login and consent pages over HTTP and follows the
// redirect to oauthx's loopback server. Decision via BOT_DECISION=deny.

import process from "node:process";
import { browserlessLogin } from "./browserless-login.ts";

const url = process.argv[2];
if (!url) {
  process.stderr.write("browser-bot: no URL\n");
  process.exit(2);
}
const decision = process.env.BOT_DECISION === "deny" ? "deny" : "approve";
const result = await browserlessLogin(url, { decision, login: process.env.BOT_LOGIN ?? "alice" });
process.exitCode = result.redirect ? 0 : 1;

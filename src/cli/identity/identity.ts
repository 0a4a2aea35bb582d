// `oauthx identity`: where the age identity that opens the store is (identity.txt, the OS keychain
// and its item, or an environment variable) and whether it answers — never the key.
// `oauthx identity move keychain|file`: gives it the other home (store/identity/move.ts).

import { ERROR_CODES, type ErrorCode, EXIT } from "../../errors.ts";
import { homeFiles } from "../../store/home-files.ts";
import { moveIdentity } from "../../store/identity/move.ts";
import { identityStatus } from "../../store/identity/status.ts";
import { defineCommand } from "../command.ts";

const HOME_NAMES = {
  env: "the environment",
  "env-file": "a file named by the environment",
  file: "a file",
  keychain: "the OS keychain",
  none: "none yet",
} as const;

export const command = defineCommand({
  positionals: [
    { name: "action", kind: "words", words: ["move"], optional: true },
    { name: "to", kind: "words", words: ["keychain", "file"], optional: true },
  ],
  flags: {
    json: { type: "boolean", help: "Print where the identity is as JSON" },
  },
  description:
    "Shows where the age identity that decrypts the store is, and whether it answers; `move` gives it the other home.",
  examples: ["oauthx identity", "oauthx identity move keychain", "oauthx identity move file"],
  async run(ctx, { flags, positionals }) {
    const [action, to] = positionals;
    if (action === "move") {
      if (to === undefined) {
        ctx.stderr.write("oauthx identity move: say where: keychain or file\n");
        return EXIT.usage;
      }
      const outcome = await moveIdentity(ctx.home, ctx.env, to, ctx.now);
      ctx.stderr.write(
        outcome.moved
          ? `The store's identity is now in ${outcome.where}.\n`
          : `The store's identity was already in ${outcome.where}.\n`,
      );
      return EXIT.ok;
    }
    const status = await identityStatus(ctx.env, homeFiles(ctx.home));
    if (flags.json) {
      ctx.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    } else {
      ctx.stdout.write(
        `identity: ${HOME_NAMES[status.home]}${status.home === "none" ? "" : `: ${status.where}`}\n`,
      );
      ctx.stdout.write(`answers:  ${status.answers ? "yes" : status.home === "none" ? "-" : "no"}\n`);
      const keychain = status.keychain;
      ctx.stdout.write(
        `keychain: ${keychain.name} ${keychain.answers ? "answers" : `does not answer (${keychain.reason})`}\n`,
      );
    }
    if (status.problem) {
      ctx.stderr.write(`error: ${status.problem.message} [${status.problem.code}]\n`);
      if (status.problem.remedy) ctx.stderr.write(`  → ${status.problem.remedy}\n`);
      return ERROR_CODES[status.problem.code as ErrorCode] ?? EXIT.failed;
    }
    return EXIT.ok;
  },
});

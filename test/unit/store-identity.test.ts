import * as fs from "node:fs";
import * as path from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { describe, expect, it } from "vitest";
import { isOauthxError } from "../../src/errors.ts";
import {
  createIdentityFile,
  formatIdentityFile,
  parseIdentityText,
  resolveIdentity,
  rfc3339Local,
} from "../../src/store/identity/identity.ts";
import { modeOf, useTempHome } from "../support/store-temp-home.ts";

const tempHome = useTempHome();

function writePrivate(file: string, text: string, mode = 0o600) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode); // test set-up only: the product never chmods
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("identity sources", () => {
  it("OAUTHX_AGE_IDENTITY beats OAUTHX_AGE_IDENTITY_FILE beats the default file", async () => {
    const { root } = tempHome();
    const [inline, named, fallback] = await Promise.all([1, 2, 3].map(() => generateX25519Identity()));
    const namedFile = path.join(root, "named.txt");
    const defaultFile = path.join(root, "home", "identity.txt");
    writePrivate(namedFile, `${named}\n`);
    writePrivate(defaultFile, `${fallback}\n`);

    const all = { OAUTHX_AGE_IDENTITY: inline, OAUTHX_AGE_IDENTITY_FILE: namedFile };
    expect(resolveIdentity(all, defaultFile)).toEqual({
      keys: [inline],
      source: "OAUTHX_AGE_IDENTITY",
      explicit: true,
    });
    expect(resolveIdentity({ OAUTHX_AGE_IDENTITY_FILE: namedFile }, defaultFile)).toEqual({
      keys: [named],
      source: namedFile,
      explicit: true,
    });
    expect(resolveIdentity({}, defaultFile)).toEqual({
      keys: [fallback],
      source: defaultFile,
      explicit: false,
    });
    expect(resolveIdentity({}, path.join(root, "missing.txt"))).toBeUndefined();
  });

  it("refuses a malformed OAUTHX_AGE_IDENTITY without echoing it", () => {
    const value = "AGE-SECRET-KEY-NOT-REALLY-secretish";
    const error = thrown(() => resolveIdentity({ OAUTHX_AGE_IDENTITY: value }, "/nonexistent")) as Error;
    expect(isOauthxError(error, "CONFIG_INVALID")).toBe(true);
    expect(JSON.stringify(error)).not.toContain("NOT-REALLY");
  });

  it("refuses a missing OAUTHX_AGE_IDENTITY_FILE, and a default file without a key", () => {
    const { root } = tempHome();
    const missing = thrown(() =>
      resolveIdentity({ OAUTHX_AGE_IDENTITY_FILE: path.join(root, "x") }, "/none"),
    );
    expect(isOauthxError(missing, "CONFIG_INVALID")).toBe(true);
    const defaultFile = path.join(root, "identity.txt");
    writePrivate(defaultFile, "# only a comment\n");
    expect(
      isOauthxError(
        thrown(() => resolveIdentity({}, defaultFile)),
        "STORE_CORRUPT",
      ),
    ).toBe(true);
  });

  it("refuses identity files that group or others can read, with a chmod remedy", async () => {
    const { root } = tempHome();
    const file = path.join(root, "identity.txt");
    writePrivate(file, `${await generateX25519Identity()}\n`, 0o640);
    for (const env of [{}, { OAUTHX_AGE_IDENTITY_FILE: file }]) {
      const error = thrown(() => resolveIdentity(env, file));
      expect(isOauthxError(error, "STORE_PERMISSIONS")).toBe(true);
      expect((error as { remedy: string }).remedy).toBe(`chmod 600 ${file}`);
    }
  });
});

describe("identity file format", () => {
  it("parses age-keygen files: comments, blank lines, several keys", async () => {
    const [a, b] = [await generateX25519Identity(), await generateX25519Identity()];
    expect(parseIdentityText(`# created: x\n# public key: age1x\n${a}\n\n${b}\r\n`)).toEqual([a, b]);
    expect(parseIdentityText("# nothing\n")).toBeUndefined();
    expect(parseIdentityText(`${a}\nsomething else\n`)).toBeUndefined();
  });

  it("writes what age-keygen writes: created, public key, secret key", async () => {
    const secret = await generateX25519Identity();
    const recipient = await identityToRecipient(secret);
    const text = formatIdentityFile(secret, recipient, new Date("2026-11-23T09:16:05Z"));
    expect(text).toMatch(
      new RegExp(
        `^# created: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d)\\n# public key: ${recipient}\\n${secret}\\n$`,
      ),
    );
  });

  it("formats RFC 3339 in local time with the zone offset, like Go", () => {
    const date = new Date("2026-11-23T09:16:05Z");
    const text = rfc3339Local(date);
    expect(new Date(text).getTime()).toBe(date.getTime());
  });

  it("creates the identity file 0600 and never replaces an existing one", async () => {
    const { root } = tempHome();
    const file = path.join(root, "identity.txt");
    const identity = await createIdentityFile(file, new Date());
    expect(modeOf(file)).toBe("0600");
    expect(parseIdentityText(fs.readFileSync(file, "utf8"))).toEqual(identity.keys);
    const before = fs.readFileSync(file, "utf8");
    await expect(createIdentityFile(file, new Date())).rejects.toMatchObject({ code: "EEXIST" });
    expect(fs.readFileSync(file, "utf8")).toBe(before);
    expect(fs.readdirSync(root)).toEqual(["identity.txt"]);
  });
});

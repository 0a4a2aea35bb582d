// The memo of the user's providers file (src/providers/parsed-cache.ts) as loadRegistry uses it:
// taken only for exactly the same text, only when private, and never at the cost of a located
// error message. A test can tell the memo was used by changing its data behind the file's back.

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { isOauthxError } from "../../src/errors.ts";
import { loadRegistry } from "../../src/providers/registry.ts";
import { modeOf, useTempHome } from "../support/store-temp-home.ts";

const tempHome = useTempHome();
const YAML = "providers:\n  github:\n    client_id: from-the-file\n";

function setUp(text = YAML) {
  const { home } = tempHome();
  fs.mkdirSync(home, { mode: 0o700 });
  fs.writeFileSync(path.join(home, "providers.yaml"), text, { mode: 0o600 });
  return { home, memo: path.join(home, ".providers-parsed.json") };
}

/** Rewrites the memo's data (not its text), as only a reader of the memo would notice. */
function tamper(memo: string, clientId: unknown) {
  const content = JSON.parse(fs.readFileSync(memo, "utf8"));
  content.data.providers.github.client_id = clientId;
  fs.writeFileSync(memo, JSON.stringify(content));
}

const clientId = async (home: string) => (await loadRegistry(home)).get("github").definition.client_id;

describe("the parsed providers memo", () => {
  it("is written 0600 on the first load and used while the text is unchanged", async () => {
    const { home, memo } = setUp();
    expect(await clientId(home)).toBe("from-the-file");
    expect(modeOf(memo)).toBe("0600");
    tamper(memo, "from-the-memo");
    expect(await clientId(home)).toBe("from-the-memo");
  });

  it("is ignored once the file changes, and replaced", async () => {
    const { home, memo } = setUp();
    await clientId(home);
    tamper(memo, "from-the-memo");
    fs.writeFileSync(path.join(home, "providers.yaml"), YAML.replace("from-the-file", "edited"));
    expect(await clientId(home)).toBe("edited");
    expect(JSON.parse(fs.readFileSync(memo, "utf8")).data.providers.github.client_id).toBe("edited");
  });

  it("is ignored when others can read or write it", async () => {
    const { home, memo } = setUp();
    await clientId(home);
    tamper(memo, "planted");
    fs.chmodSync(memo, 0o644);
    expect(await clientId(home)).toBe("from-the-file");
  });

  it("is validated like the file: invalid remembered data falls back to a fresh parse", async () => {
    const { home, memo } = setUp();
    await clientId(home);
    tamper(memo, 42);
    expect(await clientId(home)).toBe("from-the-file");
  });

  it("never hides a located error: a bad file is reported with its line whatever the memo says", async () => {
    const bad = "providers:\n  github:\n    client_id: ok\n    colour: blue\n";
    const { home, memo } = setUp(bad);
    // A memo for this very text (as a hand-made or older one could be) with different data.
    fs.writeFileSync(
      memo,
      JSON.stringify({ format: 1, text: bad, data: { providers: { github: { colour: 1 } } } }),
      {
        mode: 0o600,
      },
    );
    const error = await loadRegistry(home).catch((caught: unknown) => caught);
    expect(isOauthxError(error, "CONFIG_INVALID")).toBe(true);
    expect((error as Error).message).toMatch(
      /providers\.yaml:4:5: provider "github", field colour: unknown field/,
    );
  });

  it("clears a temp file left by a writer killed mid-write, when it writes a new memo", async () => {
    const { home } = setUp();
    // Named as writeFileAtomic names temp files (".<name>.<pid>.<random>.tmp"), with a pid that
    // cannot exist (above Linux's pid_max).
    const abandoned = path.join(home, "..providers-parsed.json.4194302.0123456789ab.tmp");
    fs.writeFileSync(abandoned, "{", { mode: 0o600 });
    const longAgo = new Date(Date.now() - 10 * 60_000);
    fs.utimesSync(abandoned, longAgo, longAgo);
    await clientId(home);
    expect(fs.existsSync(abandoned)).toBe(false);
  });

  it("is not needed: when it cannot be written, the file is parsed every time", async () => {
    const { home, memo } = setUp();
    fs.mkdirSync(memo); // the name taken (root ignores a read-only home, so this stands in for one)
    expect(await clientId(home)).toBe("from-the-file");
    expect(await clientId(home)).toBe("from-the-file");
    expect(fs.statSync(memo).isDirectory()).toBe(true);
  });
});

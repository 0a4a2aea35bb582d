import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { removeAbandonedTempFiles, tempPathFor, writeFileAtomic } from "../../src/store/atomic-file.ts";
import { deadPid } from "../support/store-spawn.ts";
import { modeOf, useTempHome } from "../support/store-temp-home.ts";

const tempHome = useTempHome();
const bytes = (text: string) => new TextEncoder().encode(text);

describe("writeFileAtomic", () => {
  it("creates the file 0600 even under a permissive umask, and replaces it whole", async () => {
    const target = path.join(tempHome().root, "tokens.age");
    const previous = process.umask(0o000);
    try {
      await writeFileAtomic(target, bytes("one"));
      expect(modeOf(target)).toBe("0600");
      await writeFileAtomic(target, bytes("two"));
    } finally {
      process.umask(previous);
    }
    expect(fs.readFileSync(target, "utf8")).toBe("two");
    expect(modeOf(target)).toBe("0600");
    expect(fs.readdirSync(path.dirname(target))).toEqual(["tokens.age"]);
  });

  it("leaves the old file and no temp file when the write fails before the rename", async () => {
    const target = path.join(tempHome().root, "tokens.age");
    await writeFileAtomic(target, bytes("old"));
    let seenTemp = "";
    const failing = writeFileAtomic(target, bytes("new"), {
      beforeCommit: (temp) => {
        seenTemp = temp;
        expect(fs.readFileSync(temp, "utf8")).toBe("new");
        expect(modeOf(temp)).toBe("0600");
        throw new Error("disk on fire");
      },
    });
    await expect(failing).rejects.toThrow("disk on fire");
    expect(path.basename(seenTemp)).toMatch(
      new RegExp(`^\\.tokens\\.age\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`),
    );
    expect(fs.readFileSync(target, "utf8")).toBe("old");
    expect(fs.readdirSync(path.dirname(target))).toEqual(["tokens.age"]);
  });

  it("with noClobber, refuses to replace an existing file", async () => {
    const target = path.join(tempHome().root, "identity.txt");
    await writeFileAtomic(target, bytes("first"), { noClobber: true });
    await expect(writeFileAtomic(target, bytes("second"), { noClobber: true })).rejects.toMatchObject({
      code: "EEXIST",
    });
    expect(fs.readFileSync(target, "utf8")).toBe("first");
    expect(fs.readdirSync(path.dirname(target))).toEqual(["identity.txt"]);
  });
});

describe("removeAbandonedTempFiles", () => {
  it("removes only old temp files of dead writers, of this target", async () => {
    const dir = tempHome().root;
    const target = path.join(dir, "tokens.age");
    const dead = await deadPid();
    const name = (pid: number) => `.tokens.age.${pid}.0123456789ab.tmp`;
    const files = {
      deadOld: path.join(dir, name(dead)),
      liveOld: path.join(dir, name(process.pid)),
      deadNew: path.join(dir, name(dead).replace("0123", "ffff")),
      otherTarget: path.join(dir, `.identity.txt.${dead}.0123456789ab.tmp`),
      notOurs: path.join(dir, ".tokens.age.backup"),
    };
    for (const file of Object.values(files)) fs.writeFileSync(file, "x");
    const old = new Date(Date.now() - 5 * 60_000);
    for (const file of [files.deadOld, files.liveOld, files.otherTarget, files.notOurs])
      fs.utimesSync(file, old, old);

    expect(removeAbandonedTempFiles(target, { nowMs: Date.now() })).toEqual([files.deadOld]);
    expect(
      fs.existsSync(files.liveOld) && fs.existsSync(files.deadNew) && fs.existsSync(files.otherTarget),
    ).toBe(true);
    expect(fs.existsSync(files.notOurs)).toBe(true);
  });

  it("names temp files after the target and the writing pid", () => {
    expect(path.basename(tempPathFor("/x/tokens.age"))).toMatch(/^\.tokens\.age\.\d+\.[0-9a-f]{12}\.tmp$/);
  });
});

// The store's fast read path must agree with age: the same plaintext for every file the reference
// opens with an X25519 identity, and "no answer" (undefined, so the reference decides) for anything
// else — damaged, foreign, passphrase-protected. It may never return different bytes.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { base64nopad } from "@scure/base";
import {
  Decrypter,
  Encrypter,
  generateHybridIdentity,
  generateIdentity,
  identityToRecipient,
} from "age-encryption";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encryptPayload, tryDecryptX25519, x25519Recipient } from "../../src/store/age-fast-read.ts";
import {
  AGE_VERSION_LINE,
  type AgeDraft,
  ageMacLine,
  assemble,
  bodyLines,
  CHUNK,
  chunksOf,
  type StanzaText,
  streamPayload,
  x25519Pair,
  x25519Stanza,
} from "../support/age-test-encoder.ts";

/** The plaintext the fast reader gives, or undefined when it gives no answer. */
async function fastRead(file: Uint8Array, identities: readonly string[]): Promise<Uint8Array | undefined> {
  return (await tryDecryptX25519(file, identities))?.plaintext;
}

async function encryptTo(plaintext: Uint8Array, recipients: string[]): Promise<Uint8Array> {
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  return encrypter.encrypt(plaintext);
}

describe("age fast read", async () => {
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);

  it.each([0, 1, 1000, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 3 * 64 * 1024 + 17])(
    "decrypts a %i-byte file exactly as age wrote it",
    async (size) => {
      const plaintext = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
      const full = new Uint8Array(size);
      for (let at = 0; at < size; at += plaintext.length) full.set(plaintext.subarray(0, size - at), at);
      const file = await encryptTo(full, [recipient]);
      expect(await fastRead(file, [identity])).toEqual(full);
    },
  );

  it("finds its stanza among several recipients, and its identity among several", async () => {
    const other = await generateIdentity();
    const file = await encryptTo(new TextEncoder().encode('{"version":1}'), [
      await identityToRecipient(other),
      recipient,
    ]);
    const unrelated = await generateIdentity();
    expect(new TextDecoder().decode(await fastRead(file, [unrelated, identity]))).toBe('{"version":1}');
  });

  it("gives no answer for a foreign identity or a passphrase file", async () => {
    const file = await encryptTo(new TextEncoder().encode("x"), [recipient]);
    expect(await fastRead(file, [await generateIdentity()])).toBeUndefined();
    const scrypt = new Encrypter();
    scrypt.setScryptWorkFactor(10);
    scrypt.setPassphrase("correct horse");
    expect(await fastRead(await scrypt.encrypt("x"), [identity])).toBeUndefined();
    expect(await fastRead(new TextEncoder().encode("not age at all"), [identity])).toBeUndefined();
  });

  it("never returns bytes for a damaged file: any flipped byte or truncation gives no answer", async () => {
    const plaintext = new TextEncoder().encode(
      JSON.stringify({ version: 1, profiles: { a: { b: "c".repeat(300) } } }),
    );
    const file = await encryptTo(plaintext, [recipient]);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: file.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (position, mask) => {
          const damaged = Uint8Array.from(file);
          damaged[position] = (damaged[position] as number) ^ mask;
          const result = await fastRead(damaged, [identity]);
          // The reference must agree that such a file does not open to other bytes.
          if (result !== undefined) {
            const decrypter = new Decrypter();
            decrypter.addIdentity(identity);
            expect(result).toEqual(await decrypter.decrypt(damaged));
          }
        },
      ),
      { numRuns: 300 },
    );
    for (const length of [0, 10, 60, file.length - 1]) {
      expect(await fastRead(file.subarray(0, length), [identity])).toBeUndefined();
    }
  });

  it("yields the header and file key: a new payload after that header opens for every recipient", async () => {
    const backup = await generateIdentity();
    const file = await encryptTo(new TextEncoder().encode("old"), [
      recipient,
      await identityToRecipient(backup),
    ]);
    const opened = await tryDecryptX25519(file, [await generateIdentity(), identity]);
    expect(opened?.openedBy).toBe(1);
    const text = new TextDecoder().decode(file);
    const headerEnd = text.indexOf("\n", text.indexOf("\n--- ") + 1) + 1; // after the MAC line
    expect(opened?.header).toEqual(file.subarray(0, headerEnd));
    for (const size of [0, 1, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 3 * 64 * 1024 + 17]) {
      const plaintext = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
      const full = new Uint8Array(size);
      for (let at = 0; at < size; at += plaintext.length) full.set(plaintext.subarray(0, size - at), at);
      const payload = await encryptPayload(opened!.fileKey, full);
      const rewritten = new Uint8Array([...opened!.header, ...payload]);
      for (const key of [identity, backup]) {
        const decrypter = new Decrypter();
        decrypter.addIdentity(key);
        expect(await decrypter.decrypt(rewritten)).toEqual(full);
      }
      expect(await fastRead(rewritten, [identity])).toEqual(full);
    }
  });

  it("derives an identity's recipient (age1…) as age does, and none for what is not an X25519 identity", async () => {
    // The shared store compares a row's recipient list on every write with this, not with age.
    for (let i = 0; i < 20; i++) {
      const identity = await generateIdentity();
      expect(await x25519Recipient(identity)).toBe(await identityToRecipient(identity));
    }
    expect(await x25519Recipient(await generateHybridIdentity())).toBeUndefined();
    expect(await x25519Recipient("AGE-SECRET-KEY-1NOTAKEY")).toBeUndefined();
  });

  it("writes each payload under a fresh random nonce", async () => {
    const fileKey = new Uint8Array(16).fill(1);
    const plaintext = new TextEncoder().encode("same");
    const [a, b] = [await encryptPayload(fileKey, plaintext), await encryptPayload(fileKey, plaintext)];
    expect(a.subarray(0, 16)).not.toEqual(b.subarray(0, 16));
    expect(a.subarray(16)).not.toEqual(b.subarray(16));
  });

  it("reads what the reference age CLI wrote", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oauthx-age-fast-"));
    try {
      writeFileSync(join(dir, "plain.json"), '{"version":1,"profiles":{}}\n');
      execFileSync("age", ["-r", recipient, "-o", join(dir, "store.age"), join(dir, "plain.json")]);
      const file = new Uint8Array(readFileSync(join(dir, "store.age")));
      expect(new TextDecoder().decode(await fastRead(file, [identity]))).toBe(
        '{"version":1,"profiles":{}}\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("age fast read against age-encryption, on files changed under a known file key", async () => {
  // The header MAC is re-computed after every change (../support/age-test-encoder.ts), so a change
  // reaches the parser: flipping bytes of a real file only ever tests the MAC.
  const secret = (seed: number) => Uint8Array.from({ length: 32 }, (_, i) => (seed * 97 + i * 13) & 0xff);
  const ours = x25519Pair(secret(1));
  const other = x25519Pair(secret(2));
  const postQuantum = await generateHybridIdentity();
  const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });

  /** age-encryption's verdict: the plaintext, or undefined when it refuses the file or an identity. */
  async function reference(file: Uint8Array, identities: readonly string[]): Promise<Uint8Array | undefined> {
    try {
      const decrypter = new Decrypter();
      for (const identity of identities) decrypter.addIdentity(identity);
      return await decrypter.decrypt(file);
    } catch {
      return undefined;
    }
  }

  /** The header as text, to read a counterexample. */
  function headerOf(file: Uint8Array): string {
    const text = new TextDecoder().decode(file);
    return text.slice(0, text.indexOf("\n---") + 48);
  }

  interface Case {
    draft: AgeDraft;
    nonce: Uint8Array;
    plaintext: Uint8Array;
    identities: string[];
  }

  const foreignType = fc.constantFrom("ssh-ed25519", "ssh-rsa", "example.com/enigma", "piv-p256");
  /** An argument as the spec allows it: 1*VCHAR. */
  const argument = fc.stringMatching(/^[!-~]{1,12}$/);

  /** A file as age writes it: stanzas to us, maybe to others and of foreign types, in any order. */
  const validCase: fc.Arbitrary<Case> = fc
    .record({
      fileKey: bytes(16),
      nonce: bytes(16),
      plaintext: fc.oneof(
        { weight: 4, arbitrary: fc.uint8Array({ maxLength: 200 }) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(0, CHUNK, CHUNK + 1).map((size) => new Uint8Array(size).fill(7)),
        },
      ),
      toUs: fc.array(bytes(32), { minLength: 1, maxLength: 2 }),
      toOther: fc.array(bytes(32), { maxLength: 2 }),
      foreign: fc.array(
        fc.record({
          type: foreignType,
          args: fc.array(argument, { maxLength: 2 }),
          body: fc.uint8Array({ maxLength: 70 }),
        }),
        { maxLength: 2 },
      ),
      order: fc.array(fc.nat({ max: 99 }), { minLength: 6, maxLength: 6 }),
      identities: fc.constantFrom(
        [ours.identity],
        [other.identity, ours.identity],
        [ours.identity, other.identity],
      ),
    })
    .map((c) => {
      const stanzas: StanzaText[] = [
        ...c.toUs.map((ephemeral) => x25519Stanza(c.fileKey, ours.recipient, ephemeral)),
        ...c.toOther.map((ephemeral) => x25519Stanza(c.fileKey, other.recipient, ephemeral)),
        ...c.foreign.map((f) => ({
          argLine: ["->", f.type, ...f.args].join(" "),
          bodyLines: bodyLines(f.body),
        })),
      ];
      const shuffled = stanzas
        .map((stanza, i) => ({ stanza, rank: (c.order[i] as number) * 10 + i }))
        .sort((a, b) => a.rank - b.rank)
        .map(({ stanza }) => stanza);
      const payload = streamPayload(c.fileKey, c.nonce, chunksOf(c.plaintext));
      const draft = {
        fileKey: c.fileKey,
        version: AGE_VERSION_LINE,
        stanzas: shuffled,
        macLine: ageMacLine,
        payload,
      };
      return { draft, nonce: c.nonce, plaintext: c.plaintext, identities: [...c.identities] };
    });

  type Mutation = (c: Case) => Case;
  /** A mutation that fast-check prints by what it does. */
  const named = (what: string, mutate: Mutation): Mutation =>
    Object.assign(mutate, { [fc.toStringMethod]: () => what });

  const withDraft = (c: Case, change: Partial<AgeDraft>): Case => ({
    ...c,
    draft: { ...c.draft, ...change },
  });
  /** Changes stanza number `which` (modulo their count). */
  function editStanza(c: Case, which: number, edit: (stanza: StanzaText) => StanzaText): Case {
    const at = which % Math.max(1, c.draft.stanzas.length);
    return withDraft(c, { stanzas: c.draft.stanzas.map((stanza, i) => (i === at ? edit(stanza) : stanza)) });
  }
  /** Inserts a stanza at `position` (modulo their count + 1). */
  function insertStanza(c: Case, position: number, stanza: StanzaText): Case {
    const stanzas = [...c.draft.stanzas];
    stanzas.splice(position % (stanzas.length + 1), 0, stanza);
    return withDraft(c, { stanzas });
  }
  const argsOf = (stanza: StanzaText) => stanza.argLine.slice(3).split(" ");
  const withArgs = (stanza: StanzaText, args: string[]) => ({ ...stanza, argLine: `-> ${args.join(" ")}` });
  function insertAt(text: string, position: number, inserted: string): string {
    const at = position % (text.length + 1);
    return text.slice(0, at) + inserted + text.slice(at);
  }

  const zeroShare = base64nopad.encode(new Uint8Array(32));
  /** Argument values: odd sizes, non-canonical or padded base64, a low-order share, nothing. */
  const argValue = fc.oneof(
    argument,
    fc.constantFrom("", "X25519", "scrypt", zeroShare, `${zeroShare.slice(0, -1)}B`, `${zeroShare}=`),
    fc.uint8Array({ minLength: 31, maxLength: 33 }).map((value) => base64nopad.encode(value)),
  );
  /** Spaces, and characters age-encryption refuses in a header (outside printable ASCII). */
  const strayChar = fc.constantFrom(" ", "  ", "\t", "\r", "\u0000", "\u007f", "\u00e9", "=");

  const stanzaMutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.tuple(fc.nat(), fc.nat(), argValue).map(([which, arg, value]) =>
      named(`stanza ${which}: argument ${arg} := ${JSON.stringify(value)}`, (c) =>
        editStanza(c, which, (s) => {
          const args = argsOf(s);
          args[arg % (args.length + 1)] = value; // may add one
          return withArgs(s, args);
        }),
      ),
    ),
    fc.tuple(fc.nat(), fc.nat()).map(([which, arg]) =>
      named(`stanza ${which}: argument ${arg} removed`, (c) =>
        editStanza(c, which, (s) =>
          withArgs(
            s,
            argsOf(s).filter((_, i, all) => i !== arg % all.length),
          ),
        ),
      ),
    ),
    fc
      .tuple(fc.nat(), fc.constantFrom("X25519", "x25519", "scrypt", "mlkem768x25519", "X25519x"))
      .map(([which, type]) =>
        named(`stanza ${which}: type := ${type}`, (c) =>
          editStanza(c, which, (s) => withArgs(s, [type, ...argsOf(s).slice(1)])),
        ),
      ),
    fc
      .tuple(fc.nat(), fc.nat(), strayChar)
      .map(([which, position, char]) =>
        named(`stanza ${which}: ${JSON.stringify(char)} inserted in the argument line`, (c) =>
          editStanza(c, which, (s) => ({ ...s, argLine: insertAt(s.argLine, position, char) })),
        ),
      ),
    fc
      .tuple(fc.nat(), fc.constantFrom(0, 16, 31, 32, 33, 47, 48, 49, 96))
      .chain(([which, length]) =>
        bytes(length).map((body) =>
          named(`stanza ${which}: a ${length}-byte body`, (c) =>
            editStanza(c, which, (s) => ({ ...s, bodyLines: bodyLines(body) })),
          ),
        ),
      ),
    fc.tuple(fc.nat(), fc.nat(), fc.nat(), strayChar).map(([which, line, position, char]) =>
      named(`stanza ${which}: ${JSON.stringify(char)} inserted in body line ${line}`, (c) =>
        editStanza(c, which, (s) => ({
          ...s,
          bodyLines: s.bodyLines.map((text, i) =>
            i === line % s.bodyLines.length ? insertAt(text, position, char) : text,
          ),
        })),
      ),
    ),
    fc
      .tuple(
        fc.nat(),
        fc.constantFrom("padded", "non-canonical", "without its final line", "with an extra empty line"),
      )
      .map(([which, how]) =>
        named(`stanza ${which}: body ${how}`, (c) =>
          editStanza(c, which, (s) => {
            const lines = s.bodyLines.length > 0 ? [...s.bodyLines] : [""];
            const last = lines.length - 1;
            if (how === "padded") lines[last] = `${lines[last]}=`;
            if (how === "non-canonical") lines[last] = `${(lines[last] as string).slice(0, -1)}B`;
            if (how === "without its final line") lines.pop();
            if (how === "with an extra empty line") lines.push("");
            return { ...s, bodyLines: lines };
          }),
        ),
      ),
    fc.tuple(fc.nat(), fc.constantFrom(20, 43, 48, 63, 65), fc.boolean()).map(([which, width, emptyLine]) =>
      named(`stanza ${which}: body wrapped at ${width}${emptyLine ? ", then an empty line" : ""}`, (c) =>
        editStanza(c, which, (s) => {
          const text = s.bodyLines.join("");
          const lines: string[] = [];
          for (let at = 0; at < text.length; at += width) lines.push(text.slice(at, at + width));
          if (emptyLine) lines.push("");
          return { ...s, bodyLines: lines };
        }),
      ),
    ),
  );

  const headerMutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc
      .tuple(
        fc.nat(),
        fc.oneof(foreignType, fc.constantFrom("X25519", "mlkem768x25519", "scrypt")),
        fc.array(argValue, { maxLength: 3 }),
        fc.uint8Array({ maxLength: 100 }),
      )
      .map(([position, type, args, body]) => {
        const stanza = { argLine: ["->", type, ...args].join(" "), bodyLines: bodyLines(body) };
        return named(`${JSON.stringify(stanza.argLine)} inserted at ${position}`, (c) =>
          insertStanza(c, position, stanza),
        );
      }),
    fc
      .tuple(fc.nat(), bytes(16), bytes(32))
      .map(([position, otherKey, ephemeral]) =>
        named(`a stanza to us wrapping another file key inserted at ${position}`, (c) =>
          insertStanza(c, position, x25519Stanza(otherKey, ours.recipient, ephemeral)),
        ),
      ),
    fc
      .tuple(fc.nat(), fc.nat())
      .map(([which, position]) =>
        named(`stanza ${which} copied to ${position}`, (c) =>
          c.draft.stanzas.length === 0
            ? c
            : insertStanza(c, position, c.draft.stanzas[which % c.draft.stanzas.length] as StanzaText),
        ),
      ),
    fc
      .nat()
      .map((which) =>
        named(`stanza ${which} removed`, (c) =>
          withDraft(c, { stanzas: c.draft.stanzas.filter((_, i, all) => i !== which % all.length) }),
        ),
      ),
    fc.tuple(fc.nat(), fc.nat()).map(([a, b]) =>
      named(`bodies of stanzas ${a} and ${b} swapped`, (c) => {
        const stanzas = c.draft.stanzas;
        const [i, j] = [a % Math.max(1, stanzas.length), b % Math.max(1, stanzas.length)];
        const body = (k: number) => (stanzas[k] as StanzaText).bodyLines;
        return withDraft(c, {
          stanzas: stanzas.map((s, k) =>
            k === i ? { ...s, bodyLines: body(j) } : k === j ? { ...s, bodyLines: body(i) } : s,
          ),
        });
      }),
    ),
    fc
      .constantFrom(
        "age-encryption.org/v1 ",
        "age-encryption.org/v2",
        "age-encryption.org/v1\r",
        "Age-encryption.org/v1",
      )
      .map((version) => named(`version line ${JSON.stringify(version)}`, (c) => withDraft(c, { version }))),
    fc
      .constantFrom<[string, (mac: string) => string]>(
        ["two spaces", (mac) => `---  ${mac}`],
        ["padded", (mac) => `--- ${mac}=`],
        ["a character too many", (mac) => `--- ${mac}A`],
        ["a trailing space", (mac) => `--- ${mac} `],
        ["a character short", (mac) => `--- ${mac.slice(1)}`],
        ["no space", (mac) => `---${mac}`],
        ["two dashes", (mac) => `-- ${mac}`],
      )
      .map(([what, macLine]) => named(`MAC line with ${what}`, (c) => withDraft(c, { macLine }))),
  );

  const payloadMutation: fc.Arbitrary<Mutation> = fc
    .constantFrom("an empty final chunk after full ones", "no final chunk", "a short nonce")
    .map((how) =>
      named(`payload with ${how}`, (c) => {
        if (how === "a short nonce") return withDraft(c, { payload: c.nonce.subarray(0, 9) });
        const chunks = chunksOf(c.plaintext).map((chunk) => ({ ...chunk, final: false }));
        if (how === "an empty final chunk after full ones")
          chunks.push({ plaintext: new Uint8Array(0), final: true });
        return withDraft(c, { payload: streamPayload(c.draft.fileKey, c.nonce, chunks) });
      }),
    );

  const identitiesMutation: fc.Arbitrary<Mutation> = fc
    .constantFrom<[string, (identities: string[]) => string[]]>(
      ["a post-quantum identity first", (ids) => [postQuantum, ...ids]],
      ["a post-quantum identity last", (ids) => [...ids, postQuantum]],
      ["identities in lower case", (ids) => ids.map((id) => id.toLowerCase())],
      [
        "identities in mixed case",
        (ids) => ids.map((id) => `${id.slice(0, 20)}${id.slice(20).toLowerCase()}`),
      ],
      ["no identity", () => []],
    )
    .map(([what, edit]) => named(what, (c) => ({ ...c, identities: edit(c.identities) })));

  const mutation = fc.oneof(
    { weight: 8, arbitrary: stanzaMutation },
    { weight: 6, arbitrary: headerMutation },
    { weight: 1, arbitrary: payloadMutation },
    { weight: 1, arbitrary: identitiesMutation },
  );

  describe("gives no answer for what age-encryption refuses, even where it could open the file", () => {
    // A stanza to another recipient comes first, then ours: damage to the first must not be skipped.
    const fileKey = new Uint8Array(16).fill(5);
    const nonce = new Uint8Array(16).fill(6);
    const plaintext = new TextEncoder().encode('{"version":1}');
    const base: Case = {
      draft: {
        fileKey,
        version: AGE_VERSION_LINE,
        stanzas: [
          x25519Stanza(fileKey, other.recipient, secret(3)),
          x25519Stanza(fileKey, ours.recipient, secret(4)),
        ],
        macLine: ageMacLine,
        payload: streamPayload(fileKey, nonce, chunksOf(plaintext)),
      },
      nonce,
      plaintext,
      identities: [ours.identity],
    };
    const first = (edit: (stanza: StanzaText) => StanzaText) => (c: Case) => editStanza(c, 0, edit);
    const share = argsOf(base.draft.stanzas[0] as StanzaText)[1] as string;

    it("(the unchanged file opens)", async () => {
      const file = assemble(base.draft);
      expect(await reference(file, base.identities)).toEqual(plaintext);
      expect(await fastRead(file, base.identities)).toEqual(plaintext);
    });

    it.each<[string, Mutation]>([
      ["an empty argument (a trailing space)", first((s) => ({ ...s, argLine: `${s.argLine} ` }))],
      ["two spaces between arguments", first((s) => ({ ...s, argLine: `-> X25519  ${share}` }))],
      ["an X25519 stanza without its share", first((s) => withArgs(s, ["X25519"]))],
      ["an X25519 stanza with an extra argument", first((s) => withArgs(s, ["X25519", share, "extra"]))],
      [
        "an X25519 share of 31 bytes",
        first((s) => withArgs(s, ["X25519", base64nopad.encode(new Uint8Array(31).fill(9))])),
      ],
      [
        "an X25519 share in non-canonical base64",
        first((s) => withArgs(s, ["X25519", `${share.slice(0, -1)}B`])),
      ],
      ["an X25519 body of 33 bytes", first((s) => ({ ...s, bodyLines: bodyLines(new Uint8Array(33)) }))],
      [
        "a non-ASCII character in another stanza",
        (c) => insertStanza(c, 0, { argLine: "-> example.com/enigma caf\u00e9", bodyLines: [""] }),
      ],
      [
        "a control character in another stanza",
        (c) => insertStanza(c, 0, { argLine: "-> example.com/enigma\ttab", bodyLines: [""] }),
      ],
      [
        "a post-quantum identity, tried first, and a malformed stanza of its type",
        (c) => ({
          ...insertStanza(c, 0, { argLine: "-> mlkem768x25519 AAAA", bodyLines: [""] }),
          identities: [postQuantum, ...c.identities],
        }),
      ],
      [
        "an identity in mixed case",
        (c) => ({
          ...c,
          identities: c.identities.map((id) => `${id.slice(0, 30)}${id.slice(30).toLowerCase()}`),
        }),
      ],
    ])("%s", async (_, mutate) => {
      const c = mutate(base);
      const file = assemble(c.draft);
      expect(await reference(file, c.identities)).toBeUndefined();
      expect(await fastRead(file, c.identities)).toBeUndefined();
    });
  });

  it("refuses an empty final chunk after a full one (exactly 64 KiB of plaintext), as age does", async () => {
    const fileKey = new Uint8Array(16).fill(1);
    const nonce = new Uint8Array(16).fill(2);
    const plaintext = new Uint8Array(CHUNK).fill(3);
    const header = { fileKey, version: AGE_VERSION_LINE, macLine: ageMacLine };
    const stanzas = [x25519Stanza(fileKey, ours.recipient, secret(5))];
    const asAgeWritesIt = assemble({
      ...header,
      stanzas,
      payload: streamPayload(fileKey, nonce, [{ plaintext, final: true }]),
    });
    expect(await fastRead(asAgeWritesIt, [ours.identity])).toEqual(plaintext);

    const withEmptyFinalChunk = assemble({
      ...header,
      stanzas,
      payload: streamPayload(fileKey, nonce, [
        { plaintext, final: false },
        { plaintext: new Uint8Array(0), final: true },
      ]),
    });
    expect(await reference(withEmptyFinalChunk, [ours.identity])).toBeUndefined();
    expect(await fastRead(withEmptyFinalChunk, [ours.identity])).toBeUndefined();
  });

  it("opens every unchanged file exactly as age-encryption does", async () => {
    await fc.assert(
      fc.asyncProperty(validCase, async (c) => {
        const file = assemble(c.draft);
        expect(await reference(file, c.identities)).toEqual(c.plaintext);
        expect(await fastRead(file, c.identities)).toEqual(c.plaintext);
      }),
      { numRuns: 60 },
    );
  });

  it("never answers differently from age-encryption, and never answers where it refuses", async () => {
    await fc.assert(
      fc.asyncProperty(
        validCase,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (valid, mutations) => {
          const c = mutations.reduce((current, mutate) => mutate(current), valid);
          const file = assemble(c.draft);
          const expected = await reference(file, c.identities);
          const fast = await fastRead(file, c.identities);
          if (expected === undefined)
            expect(fast, `age-encryption refuses:\n${headerOf(file)}`).toBeUndefined();
          else if (fast !== undefined) expect(fast).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });
});

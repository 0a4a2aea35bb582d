// A memory-only cache of the identity read from the keychain, in the Linux kernel keyring (the
// user keyring, keyctl(2)) through bun:ffi: a Secret Service read costs a libsecret load and a
// D-Bus round trip (~10 ms, as long as the whole warm `token`), a kernel keyring read well under one.
// The key never touches disk; it expires KEYRING_CACHE_SECONDS after the keychain read that put it
// there, and `identity move file` removes it. What this does and does not protect against:
// docs/security.md "Where the key is". OAUTHX_IDENTITY_CACHE=off turns it off.
//
// Everything here is best effort: no Bun, not Linux, a seccomp filter that refuses keyctl (Docker's
// default) — the cache is then simply absent and every read asks the keychain.

export const IDENTITY_CACHE_ENV = "OAUTHX_IDENTITY_CACHE";
export const KEYRING_CACHE_SECONDS = 300;

/** keyctl(2)'s constants, from <linux/keyctl.h>. */
// The user keyring, not the session keyring: a process without a session keyring (no pam_keyinit:
// containers, services, most test runners) is given a fresh one of its own, so nothing is shared.
const KEY_SPEC_USER_KEYRING = -4;
const KEYCTL_SETPERM = 5;
const KEYCTL_SEARCH = 10;
const KEYCTL_READ = 11;
const KEYCTL_SET_TIMEOUT = 15;
const KEYCTL_INVALIDATE = 21;
/** Possessor: everything; the user (same uid, not possessing): view, read, search. No group, no other. */
const KEY_PERMISSIONS = 0x3f0b0000;

/** System call numbers: add_key and keyctl (asm/unistd.h). */
const SYSCALLS: Record<string, { addKey: number; keyctl: number }> = {
  x64: { addKey: 248, keyctl: 250 },
  arm64: { addKey: 217, keyctl: 219 },
};

type Syscall = (...args: (number | bigint)[]) => bigint;
interface Keyring {
  syscall: Syscall;
  ptr: (view: Uint8Array) => number;
  numbers: { addKey: number; keyctl: number };
}

let keyring: Promise<Keyring | undefined> | undefined;

function openKeyring(): Promise<Keyring | undefined> {
  keyring ??= (async () => {
    const numbers = SYSCALLS[process.arch];
    if (process.platform !== "linux" || numbers === undefined || !("Bun" in globalThis)) return undefined;
    try {
      // A variable specifier: Node and Deno never resolve it, and tsc needs no Bun types.
      const specifier = "bun:ffi";
      const ffi = await import(specifier);
      const i64 = ffi.FFIType.i64;
      const libc = ffi.dlopen("libc.so.6", {
        syscall: { args: [i64, i64, i64, i64, i64, i64], returns: i64 },
      });
      return { syscall: libc.symbols.syscall as Syscall, ptr: ffi.ptr, numbers };
    } catch {
      return undefined;
    }
  })();
  return keyring;
}

function cString(text: string): Uint8Array {
  return new TextEncoder().encode(`${text}\0`);
}

const TYPE = cString("user");
const description = (account: string) => cString(`oauthx:${account}`);

export function cacheEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  return env[IDENTITY_CACHE_ENV] !== "off";
}

async function find(k: Keyring, account: string): Promise<bigint | undefined> {
  const id = k.syscall(
    k.numbers.keyctl,
    KEYCTL_SEARCH,
    KEY_SPEC_USER_KEYRING,
    k.ptr(TYPE),
    k.ptr(description(account)),
    0,
  );
  return id > 0n ? id : undefined;
}

/** The cached identity text, or undefined (no cache, expired, or never put there). */
export async function cachedIdentity(account: string): Promise<string | undefined> {
  const k = await openKeyring();
  if (k === undefined) return undefined;
  const id = await find(k, account);
  if (id === undefined) return undefined;
  const buffer = new Uint8Array(8192);
  const length = Number(k.syscall(k.numbers.keyctl, KEYCTL_READ, id, k.ptr(buffer), buffer.length, 0));
  if (length <= 0 || length > buffer.length) return undefined;
  const text = new TextDecoder().decode(buffer.subarray(0, length));
  buffer.fill(0);
  return text;
}

/** Puts the identity in the user keyring for KEYRING_CACHE_SECONDS; silently does nothing if it cannot. */
export async function cacheIdentity(account: string, text: string): Promise<void> {
  const k = await openKeyring();
  if (k === undefined) return;
  const payload = new TextEncoder().encode(text);
  const id = k.syscall(
    k.numbers.addKey,
    k.ptr(TYPE),
    k.ptr(description(account)),
    k.ptr(payload),
    payload.length,
    KEY_SPEC_USER_KEYRING,
  );
  payload.fill(0);
  if (id <= 0n) return;
  k.syscall(k.numbers.keyctl, KEYCTL_SETPERM, id, KEY_PERMISSIONS, 0, 0);
  // Without its timeout the key would outlive what was promised: then it must not stay at all.
  if (k.syscall(k.numbers.keyctl, KEYCTL_SET_TIMEOUT, id, KEYRING_CACHE_SECONDS, 0, 0) !== 0n)
    k.syscall(k.numbers.keyctl, KEYCTL_INVALIDATE, id, 0, 0, 0);
}

/** Removes the cached identity (the move back to a file, a keychain that no longer has the item). */
export async function forgetCachedIdentity(account: string): Promise<void> {
  const k = await openKeyring();
  if (k === undefined) return;
  const id = await find(k, account);
  if (id !== undefined) k.syscall(k.numbers.keyctl, KEYCTL_INVALIDATE, id, 0, 0, 0);
}

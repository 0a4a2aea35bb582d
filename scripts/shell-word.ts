// Commands printed for people to copy: each word quoted so a POSIX shell reads it back unchanged.

/** `word` as a POSIX shell reads it back: single-quoted when it holds anything but safe characters. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

// Tests drive real programs and never skip: a test whose program is missing fails, saying what to
// install. `npm test` installs them first on Debian as root (scripts/test-setup.ts).

import { existsSync } from "node:fs";
import { REQUIREMENTS } from "../../scripts/test-setup.ts";

/** Throws, failing the calling test or hook, unless `file` exists. */
export function requireFile(file: string): void {
  if (existsSync(file)) return;
  const requirement = REQUIREMENTS.find((candidate) => candidate.files.includes(file));
  const install = requirement
    ? `sudo apt-get install -y ${requirement.debian} (${requirement.what})`
    : `install ${file}`;
  throw new Error(
    `${file} is missing, and this test needs it: ${install}; \`npm test\` does it as root on Debian`,
  );
}

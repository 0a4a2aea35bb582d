// `node bench/discovery-redirect.ts`: what following a same-origin redirect costs discovery (issue
// 24, Django OAuth Toolkit's trailing slash), in-process against loopback fakes: the document at
// the OIDC address directly, and behind a 301. Prints the median and quartiles of each, and their
// ratio. A login or a refresh without cached metadata pays this once; a warm token never does.

import { performance } from "node:perf_hooks";
import { discover } from "../src/oauth/discovery.ts";
import { startTrailingSlashDiscovery } from "../test/support/quirk-discovery-trailing-slash.ts";
import { metadataWithoutScopes } from "../test/support/quirk-metadata-without-scopes.ts";

const RUNS = 300;

async function sample(issuer: string): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    await discover(issuer);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

const at = (values: number[], q: number) =>
  values[Math.min(values.length - 1, Math.floor(values.length * q))] ?? 0;
const show = (values: number[]) =>
  `median ${at(values, 0.5).toFixed(2)} ms (quartiles ${at(values, 0.25).toFixed(2)}–${at(values, 0.75).toFixed(2)})`;

const redirected = await startTrailingSlashDiscovery(metadataWithoutScopes);
const direct = await startTrailingSlashDiscovery(metadataWithoutScopes, { withoutQuirk: true });
try {
  await sample(direct.issuer); // warm-up
  const plain = await sample(direct.issuer);
  const followed = await sample(redirected.issuer);
  console.log(`discovery, document at the OIDC address: ${show(plain)}`);
  console.log(`discovery behind a same-origin 301:      ${show(followed)}`);
  console.log(`ratio of medians: ${(at(followed, 0.5) / at(plain, 0.5)).toFixed(2)}`);
} finally {
  await redirected.close();
  await direct.close();
}

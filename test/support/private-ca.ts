// A private certificate authority, as a company's TLS inspection or internal PKI has: a root CA
// and a server certificate for 127.0.0.1 that it signed, made with openssl in a temporary
// directory. The root is trusted by nothing on the machine until a test says so
// (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE). Test infrastructure, not a quirk.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireFile } from "./require-tool.ts";

export interface PrivateCa {
  /** The root CA certificate, PEM, in a file (for NODE_EXTRA_CA_CERTS / SSL_CERT_FILE). */
  caFile: string;
  /** The server's key and certificate (signed by the root), PEM. */
  key: string;
  cert: string;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (result.error || result.status !== 0) {
    throw new Error(`openssl ${args[0]} failed: ${result.error?.message ?? result.stderr}`);
  }
}

export function makePrivateCa(): PrivateCa {
  requireFile("/usr/bin/openssl");
  const dir = mkdtempSync(join(tmpdir(), "oauthx-ca-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    [
      "req",
      "-x509",
      ...ec,
      "-days",
      "2",
      "-subj",
      "/CN=oauthx test root CA",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
    ],
    dir,
  );
  openssl(["req", ...ec, "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"], dir);
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  openssl(
    [
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      "ext.cnf",
      "-out",
      "server.pem",
    ],
    dir,
  );
  return {
    caFile: join(dir, "ca.pem"),
    key: readFileSync(join(dir, "server.key"), "utf8"),
    cert: readFileSync(join(dir, "server.pem"), "utf8"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

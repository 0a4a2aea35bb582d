// The Kubernetes ExecCredential kube-credential prints, and the KUBERNETES_EXEC_INFO it reads.

import { describe, expect, it } from "vitest";
import { execCredential, readExecInfo } from "../../src/cli/integrations/exec-credential.ts";
import { OauthxError } from "../../src/errors.ts";

const V1 = "client.authentication.k8s.io/v1";
const V1BETA1 = "client.authentication.k8s.io/v1beta1";
const info = (value: unknown) => ({ KUBERNETES_EXEC_INFO: JSON.stringify(value) });

describe("readExecInfo", () => {
  it("takes the apiVersion and spec.interactive kubectl sends", () => {
    expect(
      readExecInfo(info({ kind: "ExecCredential", apiVersion: V1BETA1, spec: { interactive: true } })),
    ).toEqual({
      apiVersion: V1BETA1,
      interactive: true,
    });
    expect(readExecInfo(info({ apiVersion: V1, spec: {} }))).toEqual({
      apiVersion: V1,
      interactive: undefined,
    });
  });

  it("defaults to v1, interactivity unknown, without KUBERNETES_EXEC_INFO", () => {
    expect(readExecInfo({})).toEqual({ apiVersion: V1, interactive: undefined });
  });

  it("refuses JSON it cannot read and versions it does not speak", () => {
    expect(() => readExecInfo({ KUBERNETES_EXEC_INFO: "{" })).toThrow(OauthxError);
    expect(() => readExecInfo(info({ apiVersion: "client.authentication.k8s.io/v1alpha1" }))).toThrow(
      /oauthx answers client\.authentication\.k8s\.io\/v1 and client\.authentication\.k8s\.io\/v1beta1/,
    );
    expect(() => readExecInfo(info(null))).toThrow(OauthxError);
  });
});

describe("execCredential", () => {
  it("holds the token and an RFC 3339 expiry in whole seconds", () => {
    const text = execCredential(V1, "tok", 1_700_000_000);
    expect(text.endsWith("\n")).toBe(true);
    expect(JSON.parse(text)).toEqual({
      apiVersion: V1,
      kind: "ExecCredential",
      status: { token: "tok", expirationTimestamp: "2023-11-14T22:13:20Z" },
    });
  });

  it("leaves the expiry out when it is unknown (kubectl then uses the token until a 401)", () => {
    expect(JSON.parse(execCredential(V1BETA1, "tok", undefined))).toEqual({
      apiVersion: V1BETA1,
      kind: "ExecCredential",
      status: { token: "tok" },
    });
  });
});

// The Kubernetes client-side exec credential format (client.authentication.k8s.io, "client-go
// credential plugins" in the Kubernetes authentication docs): kubectl runs the plugin with
// KUBERNETES_EXEC_INFO, an ExecCredential naming the apiVersion the kubeconfig asked for and
// whether a person can be asked (`spec.interactive`), and reads an ExecCredential back from stdout.

import { OauthxError } from "../../errors.ts";

export const EXEC_INFO_ENV = "KUBERNETES_EXEC_INFO";
const GROUP = "client.authentication.k8s.io";
/** v1 since Kubernetes 1.22; v1beta1 for older clients (Debian's kubectl 1.20 speaks only it). */
export const API_VERSIONS = [`${GROUP}/v1`, `${GROUP}/v1beta1`] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];

export interface ExecInfo {
  apiVersion: ApiVersion;
  /** `spec.interactive`; undefined when kubectl did not say (no KUBERNETES_EXEC_INFO). */
  interactive: boolean | undefined;
}

/** What kubectl asked for; v1 and undefined interactivity when run without KUBERNETES_EXEC_INFO. */
export function readExecInfo(env: Readonly<Record<string, string | undefined>>): ExecInfo {
  const raw = env[EXEC_INFO_ENV];
  if (raw === undefined || raw === "") return { apiVersion: API_VERSIONS[0], interactive: undefined };
  let info: { apiVersion?: unknown; spec?: { interactive?: unknown } };
  try {
    info = JSON.parse(raw) as typeof info;
  } catch {
    throw new OauthxError("CONFIG_INVALID", `${EXEC_INFO_ENV} is not JSON`, {
      remedy: `let kubectl set ${EXEC_INFO_ENV}, or unset it`,
    });
  }
  const apiVersion = info?.apiVersion;
  if (!API_VERSIONS.includes(apiVersion as ApiVersion)) {
    throw new OauthxError(
      "CONFIG_INVALID",
      `kubectl asked for an ExecCredential of apiVersion ${JSON.stringify(apiVersion)}; oauthx answers ${API_VERSIONS.join(" and ")}`,
      { remedy: `set the exec entry's apiVersion in your kubeconfig to ${API_VERSIONS[0]}` },
    );
  }
  const interactive = info.spec?.interactive;
  return {
    apiVersion: apiVersion as ApiVersion,
    interactive: typeof interactive === "boolean" ? interactive : undefined,
  };
}

/** The ExecCredential for a bearer token; kubectl caches it until `expirationTimestamp`. */
export function execCredential(apiVersion: ApiVersion, token: string, expiresAt: number | undefined): string {
  const status = {
    token,
    // RFC 3339, whole seconds (Kubernetes' metav1.Time).
    ...(expiresAt === undefined
      ? {}
      : { expirationTimestamp: new Date(expiresAt * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") }),
  };
  return `${JSON.stringify({ apiVersion, kind: "ExecCredential", status })}\n`;
}

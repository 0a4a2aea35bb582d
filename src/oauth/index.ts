// The OAuth protocol layer: provider-agnostic, no store, no CLI. See each module for its RFCs.

export type { AuthorizationCode, CallbackExpectation, CallbackVerdict } from "./authorization-response.ts";
export { judgeAuthorizationResponse, parseRedirectedUrl } from "./authorization-response.ts";
export type {
  AuthorizationUrlParams,
  PrepareAuthorizationOptions,
  PreparedAuthorization,
} from "./authorize.ts";
export { buildAuthorizationUrl, prepareAuthorization } from "./authorize.ts";
export { CALLBACK_PAGE_HEADERS, escapeHtml, renderCallbackPage } from "./callback-page.ts";
export { basicAuthorization, clientAuthentication, plainBasicAuthorization } from "./client-auth.ts";
export type { DeviceAuthorization, DeviceAuthorizationRequest, DevicePollOptions } from "./device.ts";
export {
  abortableSleep,
  DEVICE_CODE_GRANT_TYPE,
  pollDeviceToken,
  startDeviceAuthorization,
} from "./device.ts";
export type { AuthorizationServerMetadata } from "./discovery.ts";
export { discover, discoveryUrls, validateMetadata } from "./discovery.ts";
export { describeEndpoint, requireSecureEndpoint } from "./endpoint-url.ts";
export {
  accountLabelFromClaims,
  decodeIdTokenClaimsUnverified,
  decodeJwtClaimsUnverified,
} from "./id-token.ts";
export type { LoopbackHost, LoopbackOptions, LoopbackServer, WaitForCallbackOptions } from "./loopback.ts";
export { DEFAULT_CALLBACK_TIMEOUT_MS, startLoopbackServer } from "./loopback.ts";
export type { PkcePair } from "./pkce.ts";
export {
  computeCodeChallenge,
  createPkcePair,
  generateCodeVerifier,
  randomNonce,
  randomState,
  timingSafeEqualString,
} from "./pkce.ts";
export type { RevocationOptions, RevocationRequest, RevocationStyle } from "./revoke.ts";
export { revokeToken } from "./revoke.ts";
export type {
  CodeGrant,
  GrantKind,
  RefreshGrant,
  RefreshOptions,
  TokenResponseContext,
} from "./token-endpoint.ts";
export { exchangeCode, parseTokenResponse, refreshToken } from "./token-endpoint.ts";
export type { TokenEndpointOutcome } from "./token-response.ts";
export { decodeTokenEndpointBody, readTokenResponse, splitScope } from "./token-response.ts";
export type * from "./types.ts";
export { fetchUserInfo } from "./userinfo.ts";

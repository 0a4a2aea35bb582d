// Django OAuth Toolkit's metadata (1.7): no scopes_supported, no code_challenge_methods_supported,
// no revocation_endpoint, although it has scopes of its own (no `offline_access`: it issues refresh
// tokens whatever the scope), requires PKCE when configured to, and revokes at /o/revoke_token/.
// A client that guesses from the silence asks for a scope the server refuses (`invalid_scope`).

export function metadataWithoutScopes(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize/`,
    token_endpoint: `${issuer}/token/`,
    userinfo_endpoint: `${issuer}/userinfo/`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    response_types_supported: ["code", "token", "id_token", "id_token token", "code token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256", "HS256"],
    token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
  };
}

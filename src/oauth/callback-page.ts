// The small pages the loopback server shows in the browser (RFC 8252 §7.3 suggests telling the
// user to return to the app). Every reflected value is HTML-escaped; no page ever contains a code,
// token or state. Headers keep the page out of caches and keep the callback URL (with its code) out
// of Referer headers (RFC 9700 §4.2.4).

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export const CALLBACK_PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  pragma: "no-cache",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  connection: "close",
};

export function renderCallbackPage(outcome: "success" | "error", title: string, detail: string): string {
  const colour = outcome === "success" ? "#1a7f37" : "#cf222e";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>oauthx: ${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}h1{font-size:1.4em;color:${colour}}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p></body></html>
`;
}

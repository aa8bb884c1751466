/**
 * The security headers every error answer carries, even one written before helmet's hook
 * ran (a request Node's parser refused, a hook that failed early): no sniffing, HTTPS
 * only, nothing to render or frame, nothing to cache.
 */
export const ERROR_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

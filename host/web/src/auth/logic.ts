// Signing in's pure logic: where to go back to after single sign-on, and reading (then
// dropping) the `sso_error` the host sends a failed sign-in back with. No DOM, no i18n.

/** The codes the host's single sign-on callback sends back to `/login?sso_error=…`. */
export const SSO_ERROR_CODES = [
  'sso_state_mismatch',
  'sso_failed',
  'sso_no_account',
  'sso_email_unverified',
  'account_disabled',
  'sso_not_configured',
  'sso_discovery_failed',
] as const;

export type SsoErrorCode = (typeof SSO_ERROR_CODES)[number];

export function isSsoErrorCode(code: string): code is SsoErrorCode {
  return (SSO_ERROR_CODES as readonly string[]).includes(code);
}

/** `path` (pathname and query) without the query parameter `name`. */
export function withoutParam(path: string, name: string): string {
  const q = path.indexOf('?');
  if (q < 0) return path;
  const params = new URLSearchParams(path.slice(q + 1));
  if (!params.has(name)) return path;
  params.delete(name);
  const rest = params.toString();
  return rest ? `${path.slice(0, q)}?${rest}` : path.slice(0, q);
}

/**
 * Where someone signing in meant to go: the address they opened (the sign-in page shows at
 * any address while signed out), or `/` from the sign-in page itself. A path on this host
 * only, as the host also insists (`safe_return_to`).
 */
export function intendedPath(current: string): string {
  const path = withoutParam(current, 'sso_error');
  const pathname = path.split('?')[0];
  if (pathname === '/login' || pathname.startsWith('/login/')) return '/';
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return '/';
  return path;
}

/** The address that starts single sign-on (`start_url` from discovery) and comes back to `returnTo`. */
export function ssoStartUrl(startUrl: string, returnTo: string): string {
  return `${startUrl}${startUrl.includes('?') ? '&' : '?'}return_to=${encodeURIComponent(returnTo)}`;
}

/** The domain of an email address as typed (lower case), or '' when there is none. */
export function emailDomain(email: string): string {
  const e = email.trim().toLowerCase();
  const at = e.lastIndexOf('@');
  return at < 0 ? '' : e.slice(at + 1);
}

import { describe, expect, it } from 'vitest';
import { emailDomain, intendedPath, isSsoErrorCode, ssoStartUrl, withoutParam } from './logic';

describe('single sign-on from the sign-in page', () => {
  it('drops one query parameter and keeps the rest', () => {
    expect(withoutParam('/login?sso_error=sso_failed', 'sso_error')).toBe('/login');
    expect(withoutParam('/g/1?x=1&sso_error=a&y=2', 'sso_error')).toBe('/g/1?x=1&y=2');
    expect(withoutParam('/g/1?x=1', 'sso_error')).toBe('/g/1?x=1');
    expect(withoutParam('/g/1', 'sso_error')).toBe('/g/1');
  });

  it('goes back where the person was going, or home from the sign-in page', () => {
    expect(intendedPath('/')).toBe('/');
    expect(intendedPath('/login')).toBe('/');
    expect(intendedPath('/login?sso_error=sso_no_account')).toBe('/');
    expect(intendedPath('/g/abc/t/def')).toBe('/g/abc/t/def');
    expect(intendedPath('/search?q=%E6%8A%A5%E9%94%80')).toBe('/search?q=%E6%8A%A5%E9%94%80');
    expect(intendedPath('/admin/people?sso_error=x')).toBe('/admin/people');
    expect(intendedPath('//evil.example/')).toBe('/');
  });

  it('builds the start address with the way back', () => {
    expect(ssoStartUrl('/api/v1/auth/sso/o1/start', '/')).toBe('/api/v1/auth/sso/o1/start?return_to=%2F');
    expect(ssoStartUrl('/api/v1/auth/sso/o1/start', '/g/1?x=1&y=2')).toBe('/api/v1/auth/sso/o1/start?return_to=%2Fg%2F1%3Fx%3D1%26y%3D2');
    expect(ssoStartUrl('/start?a=b', '/')).toBe('/start?a=b&return_to=%2F');
  });

  it('knows the host’s error codes and email domains', () => {
    expect(isSsoErrorCode('sso_no_account')).toBe(true);
    expect(isSsoErrorCode('account_disabled')).toBe(true);
    expect(isSsoErrorCode('nope')).toBe(false);
    expect(emailDomain(' Alice@ACME.test ')).toBe('acme.test');
    expect(emailDomain('alice')).toBe('');
  });
});

// Pieces the plugin pages share: capabilities (what each lets a plugin do, choosing which to
// grant), who stands behind a package (the trust badge), icons, and refusals of packages
// explained by their code.

import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { localized, strings } from '../i18n';
import { Badge, describeError } from '../ui/kit';
import type { Package, Trust } from './types';

const t = strings({
  capabilities: ['Capabilities', '权限'],
  asksNothing: ['Asks for no capabilities', '不需要任何权限'],
  newCap: ['new', '新增'],
  bundled: ['Bundled', '服务器自带'],
  trusted: ['Trusted', '可信'],
  untrusted: ['Untrusted', '不受信任'],
  unsigned: ['Unsigned', '未签名'],
  bundledHint: ['Shipped with this server', '随本服务器提供'],
  trustedHint: ['Signed by a publisher this server trusts', '由本服务器信任的发布者签名'],
  untrustedHint: ['Signed by a key this server does not trust', '签名密钥不在本服务器的信任列表中'],
  unsignedHint: ['Nobody vouches for where it came from', '没有签名，无法确认来源'],
  by: ['by {name}', '发布者：{name}'],
  claims: ['claims to be {name}', '自称 {name}'],
  // Refusals of a package, by the code the host gives.
  invalid_package: ['Not a valid plugin package', '不是有效的插件包'],
  invalid_manifest: ['Its manifest is not valid', '插件清单无效'],
  bad_signature: ['Refused: the package was changed after it was signed', '已拒绝：插件包在签名后被改动过'],
  incompatible_contract: ['Needs a newer Courtyard', '需要更新版本的 Courtyard'],
  package_too_large: ['The file is too large', '文件过大'],
  catalog_mismatch: ['The catalog and the package disagree', '插件目录与插件包不一致'],
  catalog_unavailable: ['The catalog cannot be reached', '无法访问插件目录'],
  untrusted_package: ['Not from a trusted publisher', '并非来自可信的发布者'],
  refused: ['The package was refused', '插件包被拒绝'],
});

/** What each capability lets a plugin do, in both languages. */
const CAPS: Record<string, [string, string]> = {
  people: ['Read the directory: names, titles, departments', '读取通讯录：姓名、职位、部门'],
  groups: ['Read groups and their members', '读取群组及其成员'],
  messages: ['Post messages and cards where it is enabled', '在启用的群组中发送消息和卡片'],
  storage: ['Keep its own small key–value data', '保存自己的少量键值数据'],
  records: ['Keep records linked to people, groups and messages', '保存与人员、群组、消息关联的记录'],
  timers: ['Set timers and run scheduled jobs', '设置定时器并运行计划任务'],
  http: ['Reach outside web services (only the hosts allowed)', '访问外部网络服务（仅限允许的主机）'],
  interop: ['Call other plugins and be called by them', '调用其他插件或被其调用'],
  files: ['Read and share the organization’s files', '读取并共享组织的文件'],
};
const SENSITIVE = new Set(['http', 'files', 'people', 'interop']);

export function capText(cap: string): string {
  const entry = CAPS[cap];
  return entry ? localized({ en: entry[0], 'zh-CN': entry[1] }) : cap;
}

export function CapChip({ cap, granted = true }: { cap: string; granted?: boolean }) {
  return (
    <span class={`admin-cap${SENSITIVE.has(cap) ? ' is-sensitive' : ''}${granted ? '' : ' is-off'}`} title={capText(cap)}>
      {cap}
    </span>
  );
}

export function pluginName(p: Pick<Package, 'id' | 'name'>): string {
  return localized(p.name) || p.id;
}

/** A checkbox per capability, to grant fewer than a plugin asks for. */
export function CapabilityChoices({ caps, chosen, onChange, fresh, quiet }: { caps: string[]; chosen: Set<string>; onChange: (s: Set<string>) => void; fresh?: Set<string>; quiet?: boolean }) {
  if (caps.length === 0) return <p class="muted">{t('asksNothing')}</p>;
  return (
    <fieldset class="admin-cap-choices">
      <legend class={quiet ? 'sr-only' : 'field-label'}>{t('capabilities')}</legend>
      {caps.map((c) => (
        <label key={c} class="admin-check admin-cap-choice">
          <input
            type="checkbox"
            checked={chosen.has(c)}
            data-testid={`grant-${c}`}
            onChange={(e) => {
              const next = new Set(chosen);
              if ((e.target as HTMLInputElement).checked) next.add(c);
              else next.delete(c);
              onChange(next);
            }}
          />
          <span>
            <CapChip cap={c} /> {fresh?.has(c) && <Badge tone="warning">{t('newCap')}</Badge>}
            <span class="admin-cap-text">{capText(c)}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}

const TRUST_TONE: Record<string, 'info' | 'success' | 'warning' | 'danger'> = {
  bundled: 'info',
  trusted: 'success',
  untrusted: 'warning',
  unsigned: 'danger',
};

/** The trust status as a badge, with the publisher (a claim only, unless trusted). */
export function TrustBadge({ trust, publisher = true }: { trust: Trust; publisher?: boolean }) {
  const known = trust.status in TRUST_TONE;
  const status = known ? (trust.status as 'bundled' | 'trusted' | 'untrusted' | 'unsigned') : null;
  const title = [status ? t(`${status}Hint`) : trust.status, trust.key].filter(Boolean).join(' · ');
  return (
    <span class="admin-trust" data-testid="trust" data-status={trust.status} title={title}>
      <Badge tone={TRUST_TONE[trust.status] ?? 'warning'}>{status ? t(status) : trust.status}</Badge>
      {publisher && trust.publisher && <span class="admin-trust-publisher">{trust.status === 'trusted' ? t('by', { name: trust.publisher }) : t('claims', { name: trust.publisher })}</span>}
    </span>
  );
}

/** A plugin's icon, or its initial on a tile when it has none (or the image fails). */
export function PluginIcon({ src, name, size = 40 }: { src: string | null; name: string; size?: number }) {
  const [failed, setFailed] = useState(false);
  const style = { width: `${size}px`, height: `${size}px` };
  if (src && !failed) return <img class="admin-pkg-icon" src={src} alt="" style={style} onError={() => setFailed(true)} />;
  const initial = Array.from(name.trim())[0]?.toUpperCase() ?? '?';
  return (
    <span class="admin-pkg-icon admin-pkg-icon-none" style={{ ...style, fontSize: `${Math.round(size * 0.45)}px` }} aria-hidden="true">
      {initial}
    </span>
  );
}

const REFUSALS = ['invalid_package', 'invalid_manifest', 'bad_signature', 'incompatible_contract', 'package_too_large', 'catalog_mismatch', 'catalog_unavailable', 'untrusted_package'] as const;
type Refusal = (typeof REFUSALS)[number];

/**
 * A package refused by the host: a headline for its code in the interface language, then
 * the host's own words (in Chinese when it gave them).
 */
export function PackageError({ error }: { error: unknown }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : '';
  const known = (REFUSALS as readonly string[]).includes(code);
  const detail = describeError(error);
  const headline = known ? t(code as Refusal) : error instanceof ApiError && error.status >= 400 && error.status < 500 ? t('refused') : null;
  return (
    <div class="error-note admin-package-error" role="alert" data-testid="package-error" data-code={code || undefined}>
      <span>
        {headline && <strong class="admin-package-error-head">{headline}</strong>}
        <span>{detail}</span>
      </span>
    </div>
  );
}

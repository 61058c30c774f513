// Installing a plugin package: it is staged first (an uploaded `.cyplugin` file, a version
// from a configured catalog, or one bundled with the server), then reviewed — icon, name,
// publisher and how far this server trusts it, descriptions, screenshots, the capabilities
// and web hosts to grant — and only then installed, by its digest, so what is installed is
// exactly what was shown. Packages not from a trusted publisher need the admin's explicit
// consent. The old manifest + component upload stays as an advanced, unsigned path.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, request } from '../api';
import { localized, strings } from '../i18n';
import { Badge, Button, Field, Modal, Spinner } from '../ui/kit';
import { MAX_PACKAGE_FILE_BYTES, needsConsent, previewManifest, toBase64, versionOrder, type ManifestPreview } from './logic';
import { CapabilityChoices, PackageError, PluginIcon, TrustBadge, pluginName } from './PluginParts';
import { tc } from './shared';
import type { CatalogItem, Install, Package, StagedPackage } from './types';

const t = strings({
  installTitle: ['Install {name}', '安装 {name}'],
  upgradeTitle: ['Upgrade {name}', '升级 {name}'],
  installNow: ['Install', '安装'],
  installAgain: ['Install again', '重新安装'],
  upgradeTo: ['Upgrade to {v}', '升级到 {v}'],
  upgradeFrom: ['Upgrade from {v}', '从 {v} 升级'],
  sameInstalled: ['{v} is installed', '已安装 {v}'],
  newerInstalled: ['{v} is installed: this version is older and cannot replace it.', '已安装 {v}：此版本较旧，不能替换已安装的版本。'],
  fetching: ['Fetching the package from {catalog} and checking its signature…', '正在从 {catalog} 获取插件包并校验签名…'],
  checking: ['Checking the package…', '正在检查插件包…'],
  fromUpload: ['uploaded file', '上传的文件'],
  fromBundled: ['this server (bundled)', '本服务器自带'],
  from: ['From {source}', '来源：{source}'],
  about: ['What it does', '功能介绍'],
  screenshots: ['Screenshots', '截图'],
  screenshotN: ['Screenshot {n}', '截图 {n}'],
  enlarge: ['Enlarge screenshot {n}', '放大截图 {n}'],
  intro: ['Choose what it may do in this organization. You can change this later; a plugin without a capability it needs tells people so when it runs.', '选择它在本组织中可以做什么。之后可以更改；缺少所需权限时，插件运行时会提示。'],
  upgradeIntro: ['Capabilities the new version adds are not granted unless you tick them.', '新版本新增的权限需勾选后才会授予。'],
  httpHosts: ['Web hosts it may reach', '允许访问的网络主机'],
  httpHostsHint: ['Only with the “http” capability.', '仅在授予“http”权限时有效。'],
  commands: ['Commands', '命令'],
  hook: ['Checks messages before they are posted', '会在消息发出前进行检查'],
  contract: ['Contract', '接口版本'],
  digest: ['Package digest', '包摘要'],
  key: ['Signing key', '签名密钥'],
  consent: ['I understand the risk and want to install a package that is not from a trusted publisher', '我了解风险，仍要安装并非来自可信发布者的插件包'],
  retry: ['Try again', '重试'],
  uploadTitle: ['Upload a plugin package', '上传插件包'],
  uploadIntro: ['Choose a package file (.cyplugin, e.g. from `courtyard plugin pack`). The server checks its signature and contents and shows you what it asks for before anything is installed.', '选择插件包文件（.cyplugin，例如由 `courtyard plugin pack` 生成）。服务器会校验其签名和内容，并在安装前向你展示它所需的权限。'],
  packageFile: ['Package file (.cyplugin)', '插件包文件（.cyplugin）'],
  chooseAnother: ['Choose another file', '选择其他文件'],
  legacy: ['Advanced: install a manifest and component (unsigned)', '高级：安装清单和组件（未签名）'],
  legacyIntro: ['For plugins you build yourself: the manifest (courtyard.toml) and the component (plugin.wasm). Such an install carries no signature, descriptions or screenshots.', '适用于自行构建的插件：清单（courtyard.toml）和组件（plugin.wasm）。这样安装没有签名、介绍和截图。'],
  legacyWarning: ['This is not a signed package: nobody vouches for where it came from. Install it only if you built it or got it from someone you trust.', '这不是已签名的插件包，无法确认来源。仅在你自己构建或确信来源可靠时安装。'],
  manifest: ['Manifest (courtyard.toml)', '清单（courtyard.toml）'],
  component: ['Component (plugin.wasm)', '组件（plugin.wasm）'],
  unreadableManifest: ['The capabilities in this manifest could not be read here; everything it asks for will be granted. Review the grants right after installing.', '无法在此读取清单中的权限；将授予其要求的全部权限。安装后请立即检查授权。'],
});

/** Where a package to install comes from, before it is staged. */
export type Offer = { kind: 'bundled'; pkg: Package } | { kind: 'catalog'; item: CatalogItem };

export function offerVersion(o: Offer): string {
  return o.kind === 'bundled' ? o.pkg.version : o.item.version;
}

function offerName(o: Offer): string {
  return o.kind === 'bundled' ? pluginName(o.pkg) : localized(o.item.name) || o.item.id;
}

function catalogLabel(item: Pick<CatalogItem, 'catalog_name' | 'source'>): string {
  return item.catalog_name || item.source;
}

const packagePath = (orgId: string, sha: string) => `/api/v1/orgs/${orgId}/plugin-packages/${encodeURIComponent(sha)}`;

function stageOffer(orgId: string, offer: Offer): Promise<StagedPackage> {
  if (offer.kind === 'bundled') return api.get<StagedPackage>(packagePath(orgId, offer.pkg.sha256));
  return api.post<StagedPackage>(`/api/v1/orgs/${orgId}/plugin-packages/from-catalog`, { source: offer.item.source, plugin_id: offer.item.id, version: offer.item.version });
}

function dialogTitle(name: string, installed: boolean): string {
  return installed ? t('upgradeTitle', { name }) : t('installTitle', { name });
}

/** Stages a bundled or catalog version, then shows the review to install it. */
export function InstallFlow({ orgId, offer, installs, onClose, onDone }: { orgId: string; offer: Offer; installs: Install[]; onClose: () => void; onDone: (i: Install) => void }) {
  const [staged, setStaged] = useState<StagedPackage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    stageOffer(orgId, offer).then(
      (s) => live && setStaged(s),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [tick]);
  const id = offer.kind === 'bundled' ? offer.pkg.id : offer.item.id;
  const current = installs.find((i) => i.package.id === id) ?? null;
  const source = offer.kind === 'bundled' ? t('fromBundled') : catalogLabel(offer.item);
  return (
    <Modal title={dialogTitle(offerName(offer), !!current)} onClose={onClose} wide>
      {staged ? (
        <Review orgId={orgId} staged={staged} current={current} source={source} onCancel={onClose} onDone={onDone} />
      ) : error ? (
        <div class="stack" data-testid="stage-failed">
          <PackageError error={error} />
          <div class="admin-form-actions">
            <Button onClick={onClose}>{tc('cancel')}</Button>
            <Button onClick={() => setTick((n) => n + 1)}>{t('retry')}</Button>
          </div>
        </div>
      ) : (
        <Spinner label={offer.kind === 'catalog' ? t('fetching', { catalog: source }) : t('checking')} />
      )}
    </Modal>
  );
}

/** Uploads a `.cyplugin` file, then shows the review; or the advanced manifest + component path. */
export function UploadDialog({ orgId, installs, onClose, onDone }: { orgId: string; installs: Install[]; onClose: () => void; onDone: (i: Install) => void }) {
  const [staged, setStaged] = useState<StagedPackage | null>(null);
  const [staging, setStaging] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const choose = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    // The same file can be chosen again after a refusal.
    input.value = '';
    if (!file) return;
    setError(null);
    if (file.size > MAX_PACKAGE_FILE_BYTES) {
      const n = MAX_PACKAGE_FILE_BYTES >> 20;
      // As the host says it (package_too_large), without sending the file first.
      setError(new ApiError(413, 'package_too_large', `a package is at most ${n} MiB`, `插件包最大 ${n} MiB`));
      return;
    }
    setStaging(true);
    try {
      setStaged(await request<StagedPackage>('POST', `/api/v1/orgs/${orgId}/plugin-packages`, undefined, { raw: file, contentType: 'application/octet-stream' }));
    } catch (err) {
      setError(err);
    } finally {
      setStaging(false);
    }
  };

  if (staged) {
    const current = installs.find((i) => i.package.id === staged.package.id) ?? null;
    return (
      <Modal title={dialogTitle(pluginName(staged.package), !!current)} onClose={onClose} wide>
        <Review orgId={orgId} staged={staged} current={current} source={t('fromUpload')} onCancel={onClose} onBack={() => setStaged(null)} onDone={onDone} />
      </Modal>
    );
  }
  return (
    <Modal title={t('uploadTitle')} onClose={onClose} wide>
      <div class="stack" data-testid="upload-form">
        <p class="muted">{t('uploadIntro')}</p>
        <Field label={t('packageFile')}>
          <input type="file" accept=".cyplugin" data-testid="package-file" disabled={staging} onChange={(e) => void choose(e.target as HTMLInputElement)} />
        </Field>
        {staging && <Spinner label={t('checking')} />}
        <PackageError error={error} />
        <details class="admin-advanced" data-testid="legacy-upload">
          <summary>{t('legacy')}</summary>
          <LegacyUpload orgId={orgId} onDone={onDone} />
        </details>
        <div class="admin-form-actions">
          <Button onClick={onClose}>{tc('cancel')}</Button>
        </div>
      </div>
    </Modal>
  );
}

function RiskConsent({ checked, onChange }: { checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <label class="admin-consent">
      <input type="checkbox" checked={checked} data-testid="risk-consent" onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />
      <span>{t('consent')}</span>
    </label>
  );
}

/** What a staged package is and asks for; installs it with the grants chosen. */
function Review({ orgId, staged, current, source, onCancel, onBack, onDone }: { orgId: string; staged: StagedPackage; current: Install | null; source: string; onCancel: () => void; onBack?: () => void; onDone: (i: Install) => void }) {
  const pkg = staged.package;
  const name = pluginName(pkg);
  const fresh = useMemo(() => (current ? new Set(pkg.capabilities.filter((c) => !current.package.capabilities.includes(c))) : undefined), [pkg, current]);
  // An upgrade keeps what was granted before; what the new version adds starts unticked.
  const [chosen, setChosen] = useState(() => new Set(current ? pkg.capabilities.filter((c) => current.grants.includes(c)) : pkg.capabilities));
  const keptHosts = current && current.grants.includes('http') ? staged.http_hosts.filter((h) => current.http_hosts.includes(h)) : staged.http_hosts;
  const [hosts, setHosts] = useState(() => new Set(keptHosts));
  const [consent, setConsent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [shot, setShot] = useState<number | null>(null);

  const asksHttp = pkg.capabilities.includes('http');
  const consentNeeded = needsConsent(staged.trust.status);
  const installed = staged.installed_version;
  const installedNewer = installed !== null && versionOrder(installed, pkg.version) < 0;
  const description = localized(staged.descriptions) || localized(pkg.description);
  const base = packagePath(orgId, pkg.sha256);
  const shots = Array.from({ length: staged.screenshots }, (_, i) => i + 1);

  const submit = async (e: Event) => {
    e.preventDefault();
    if ((consentNeeded && !consent) || installedNewer) return;
    setBusy(true);
    setError(null);
    try {
      const inst = await api.post<Install>(`/api/v1/orgs/${orgId}/plugins`, {
        package_sha256: pkg.sha256,
        allow_untrusted: consentNeeded && consent,
        grants: pkg.capabilities.filter((c) => chosen.has(c)),
        http_hosts: asksHttp ? staged.http_hosts.filter((h) => hosts.has(h)) : undefined,
      });
      onDone(inst);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const danger = staged.trust.status === 'unsigned' || staged.trust.status === 'untrusted';
  return (
    <form class="stack admin-review" onSubmit={submit} data-testid="install-form" data-sha256={pkg.sha256}>
      <div class="admin-pkg-head" data-testid="review-head">
        <PluginIcon src={staged.icon ? `${base}/icon` : null} name={name} size={56} />
        <div class="admin-pkg-title">
          <h3>{name}</h3>
          <div class="muted small">
            <code>{pkg.id}</code> · <span data-testid="review-version">{pkg.version}</span> · {t('from', { source })}
          </div>
          <TrustBadge trust={staged.trust} />
        </div>
        {installed !== null && (
          <span class="admin-pkg-state" data-testid="review-installed">
            {staged.upgrade ? <Badge tone="info">{t('upgradeFrom', { v: installed })}</Badge> : installedNewer ? null : <Badge tone="neutral">{t('sameInstalled', { v: installed })}</Badge>}
          </span>
        )}
      </div>
      {staged.trust.warning && (
        <p class={`admin-warning${danger ? ' is-danger' : ''}`} data-testid="trust-warning" role="note">
          {localized(staged.trust.warning)}
        </p>
      )}
      {installedNewer && <p class="admin-warning">{t('newerInstalled', { v: installed })}</p>}

      {description && (
        <section class="admin-review-section">
          <h4>{t('about')}</h4>
          {/* The package's markdown source, as text: never as HTML. */}
          <p class="admin-description" data-testid="package-description">
            {description}
          </p>
        </section>
      )}
      {shots.length > 0 && (
        <section class="admin-review-section">
          <h4>{t('screenshots')}</h4>
          <div class="admin-shots">
            {shots.map((n) => (
              <button key={n} type="button" class="admin-shot" aria-label={t('enlarge', { n })} onClick={() => setShot(n)} data-testid={`screenshot-${n}`}>
                <img src={`${base}/screenshots/${n}`} alt={t('screenshotN', { n })} loading="lazy" />
              </button>
            ))}
          </div>
        </section>
      )}

      <p class="muted small">
        {t('intro')} {current && fresh && fresh.size > 0 ? t('upgradeIntro') : ''}
      </p>
      <CapabilityChoices caps={pkg.capabilities} chosen={chosen} onChange={setChosen} fresh={fresh} />
      {asksHttp && staged.http_hosts.length > 0 && (
        <fieldset class="admin-cap-choices" disabled={!chosen.has('http')} data-testid="review-hosts">
          <legend class="field-label">{t('httpHosts')}</legend>
          <span class="field-hint">{t('httpHostsHint')}</span>
          {staged.http_hosts.map((h) => (
            <label key={h} class="admin-check">
              <input
                type="checkbox"
                checked={hosts.has(h)}
                onChange={(e) => {
                  const next = new Set(hosts);
                  if ((e.target as HTMLInputElement).checked) next.add(h);
                  else next.delete(h);
                  setHosts(next);
                }}
              />
              <code>{h}</code>
            </label>
          ))}
        </fieldset>
      )}
      {pkg.commands.length > 0 && (
        <p class="muted small">
          {t('commands')}:{' '}
          {pkg.commands.map((c, i) => (
            <span key={c.name}>
              {i > 0 && ' '}
              <code title={localized(c.description)}>/{c.name}</code>
            </span>
          ))}
        </p>
      )}
      {pkg.before_message_hook && <p class="muted small">⚑ {t('hook')}</p>}
      <dl class="admin-review-facts">
        <dt>{t('contract')}</dt>
        <dd>{pkg.wit}</dd>
        <dt>{t('digest')}</dt>
        <dd>
          <code title={pkg.sha256}>{pkg.sha256.slice(0, 16)}…</code>
        </dd>
        {staged.trust.key && (
          <>
            <dt>{t('key')}</dt>
            <dd>
              <code>{staged.trust.key}</code>
            </dd>
          </>
        )}
      </dl>

      {consentNeeded && !installedNewer && <RiskConsent checked={consent} onChange={setConsent} />}
      <PackageError error={error} />
      <div class="admin-form-actions">
        {onBack && (
          <Button variant="ghost" onClick={onBack} class="admin-back-button">
            {t('chooseAnother')}
          </Button>
        )}
        <Button onClick={onCancel}>{tc('cancel')}</Button>
        <Button type="submit" variant="primary" busy={busy} disabled={(consentNeeded && !consent) || installedNewer} data-testid="install-confirm">
          {staged.upgrade ? t('upgradeTo', { v: pkg.version }) : installed === pkg.version ? t('installAgain') : t('installNow')}
        </Button>
      </div>
      {shot !== null && <Lightbox src={`${base}/screenshots/${shot}`} alt={t('screenshotN', { n: shot })} onClose={() => setShot(null)} />}
    </form>
  );
}

/** A screenshot over everything; a click or Escape closes it (and only it). */
function Lightbox({ src, alt, onClose }: { src: string; alt: string; onClose: () => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      // Before the dialog underneath sees it.
      e.stopPropagation();
      onClose();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);
  return (
    <div class="admin-lightbox" role="dialog" aria-modal="true" aria-label={alt} onClick={onClose} data-testid="screenshot-large">
      <img src={src} alt={alt} />
    </div>
  );
}

/** The manifest + component upload: unsigned, so only with the admin's consent. */
function LegacyUpload({ orgId, onDone }: { orgId: string; onDone: (i: Install) => void }) {
  const [manifest, setManifest] = useState<string | null>(null);
  const [preview, setPreview] = useState<ManifestPreview | null>(null);
  const [wasm, setWasm] = useState<File | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [consent, setConsent] = useState(false);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const readManifest = async (file: File | undefined) => {
    if (!file) return;
    const text = await file.text();
    const p = previewManifest(text);
    setManifest(text);
    setPreview(p);
    setChosen(new Set(p.capabilities ?? []));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setTried(true);
    if (!manifest || !wasm || !consent) return;
    setBusy(true);
    setError(null);
    try {
      const bytes = new Uint8Array(await wasm.arrayBuffer());
      const caps = preview?.capabilities;
      const inst = await api.post<Install>(`/api/v1/orgs/${orgId}/plugins`, {
        package: { manifest, wasm_base64: toBase64(bytes) },
        allow_untrusted: true,
        grants: caps ? caps.filter((c) => chosen.has(c)) : undefined,
      });
      onDone(inst);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form class="stack admin-advanced-body" onSubmit={submit} noValidate data-testid="legacy-form">
      <p class="muted small">{t('legacyIntro')}</p>
      <div class="admin-form-grid">
        <Field label={t('manifest')} required error={tried && !manifest ? tc('required') : null}>
          <input type="file" accept=".toml,text/plain" onChange={(e) => void readManifest((e.target as HTMLInputElement).files?.[0])} />
        </Field>
        <Field label={t('component')} required error={tried && !wasm ? tc('required') : null}>
          <input type="file" accept=".wasm,application/wasm" onChange={(e) => setWasm((e.target as HTMLInputElement).files?.[0] ?? null)} />
        </Field>
      </div>
      {preview && (
        <div class="stack">
          {preview.id && (
            <p>
              <code>{preview.id}</code> {preview.version}
            </p>
          )}
          {preview.capabilities ? <CapabilityChoices caps={preview.capabilities} chosen={chosen} onChange={setChosen} /> : <p class="admin-warning">{t('unreadableManifest')}</p>}
          {preview.http_hosts && preview.http_hosts.length > 0 && (
            <p class="muted small">
              {t('httpHosts')}: {preview.http_hosts.join(', ')}
            </p>
          )}
        </div>
      )}
      <p class="admin-warning is-danger" role="note">
        {t('legacyWarning')}
      </p>
      <RiskConsent checked={consent} onChange={setConsent} />
      <PackageError error={error} />
      <div class="admin-form-actions">
        <Button type="submit" variant="primary" busy={busy} disabled={!consent} data-testid="legacy-install">
          {t('installNow')}
        </Button>
      </div>
    </form>
  );
}

// What the client knows of plugin packages: their names (for card headers). Read once per session from the catalog (bundled plugins,
// open to everyone signed in) and the organization's installs (members, not guests, see
// these, uploaded plugins included).

import { signal } from '@preact/signals';
import { api } from '../api';
import { localized } from '../i18n';
import { me } from '../session';
import type { Localized } from '../types';

export interface PackageInfo {
  id: string;
  name: Localized;
}

const packages = signal<Record<string, PackageInfo>>({});
let loading: Promise<Record<string, PackageInfo>> | null = null;
let loadedFor: string | null = null;

/** The packages this person can know of, by plugin id (fetched once per organization). */
export function loadPackages(): Promise<Record<string, PackageInfo>> {
  const org = me.value?.org_id ?? '';
  if (loading && loadedFor === org) return loading;
  loadedFor = org;
  loading = (async () => {
    const found: Record<string, PackageInfo> = {};
    const [catalog, installed] = await Promise.allSettled([
      api.get<PackageInfo[]>('/api/v1/plugins/catalog'),
      org && me.value?.role !== 'guest'
        ? api.get<{ package: PackageInfo }[]>(`/api/v1/orgs/${encodeURIComponent(org)}/plugins`)
        : Promise.resolve([]),
    ]);
    if (catalog.status === 'fulfilled') for (const p of catalog.value) found[p.id] = p;
    // An installed version wins over the catalog's: it is the one running here.
    if (installed.status === 'fulfilled') for (const i of installed.value) found[i.package.id] = i.package;
    packages.value = found;
    return found;
  })().catch(() => {
    // Names are a nicety: a card still shows, headed by the plugin id; ask again next time.
    loading = null;
    return {};
  });
  return loading;
}

/** A name learnt elsewhere (a group's enablements), for plugins the catalog does not list. */
export function rememberPluginName(id: string, name: Localized) {
  const known = packages.value[id];
  if (!known) packages.value = { ...packages.value, [id]: { id, name } };
}

/** A plugin's name in the reader's language; its id until the names arrive. */
export function pluginName(id: string): string {
  void loadPackages();
  const p = packages.value[id];
  return p ? localized(p.name) || id : id;
}

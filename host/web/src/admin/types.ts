// Wire types the admin console reads, as the host serialises them:
// host/src/app/views.rs (PartnerView), host/src/app/plugins.rs (PackageView, InstallView,
// EnablementView, LogLine, TimerView), host/src/app/plugins/distribution.rs (TrustView,
// StagedPackageView, CatalogItemView), host/src/app/audit.rs (AuditEntry),
// host/runtime/src/manifest.rs (Setting), host/src/app/analytics.rs (AnalyticsView) and
// host/src/app/sso.rs (SsoConfigView).

import type { Localized } from '../types';

export interface Partner {
  group_id: string;
  group_name: string;
  host_org_id: string;
  /** The inviting organization's name: in the list of invitations, not in the answer to accept or decline. */
  host_org_name?: string;
  org_id: string;
  /** `invited`, `accepted` or `declined`. */
  status: string;
  updated_at: number;
}

/** One setting a plugin declares in its manifest (`[[settings]]`). */
export interface SettingSpec {
  name: string;
  label: Localized;
  type: 'text' | 'number' | 'bool' | 'select';
  required?: boolean;
  default?: unknown;
  options?: string[];
}

export interface PackageCommand {
  plugin_id: string;
  name: string;
  usage: string;
  description: Localized;
}

export interface Package {
  id: string;
  version: string;
  wit: string;
  name: Localized;
  description: Localized | null;
  capabilities: string[];
  commands: PackageCommand[];
  before_message_hook: boolean;
  settings: SettingSpec[];
  sha256: string;
}

export interface Install {
  org_id: string;
  package: Package;
  grants: string[];
  http_hosts: string[];
  installed_at: number;
  updated_at: number;
  /** Who stands behind the installed package, as this server sees it now. */
  trust: Trust;
}

/** Who stands behind a package, as this server sees it. */
export interface Trust {
  /** `bundled` (shipped with the server), `trusted` (a publisher in `trusted_publishers`), `untrusted` (another key) or `unsigned`. */
  status: 'bundled' | 'trusted' | 'untrusted' | 'unsigned' | string;
  /** The configured name when trusted, the name the signature claims otherwise. */
  publisher: string | null;
  /** `ed25519:…` */
  key: string | null;
  /** What an admin must read before installing anything not trusted. */
  warning: Localized | null;
}

/** A package staged for review (`POST …/plugin-packages`, `…/from-catalog`, `GET …/plugin-packages/{sha256}`). */
export interface StagedPackage {
  package: Package;
  http_hosts: string[];
  /** The package's description.{en,zh-CN}.md (markdown source; shown as text). */
  descriptions: Localized | null;
  /** `GET …/plugin-packages/{sha256}/icon` answers. */
  icon: boolean;
  /** Screenshots at `GET …/plugin-packages/{sha256}/screenshots/{1..n}`. */
  screenshots: number;
  trust: Trust;
  /** `upload`, `bundled`, or the catalog it came from. */
  source: string;
  installed_version: string | null;
  /** Installing it would upgrade the installed version. */
  upgrade: boolean;
}

/** One plugin version a configured catalog offers (`GET …/plugin-catalog`). */
export interface CatalogItem {
  /** The catalog (a configured URL or directory). */
  source: string;
  catalog_name: string | null;
  id: string;
  version: string;
  wit: string;
  name: Localized;
  summary: Localized | null;
  capabilities: string[];
  /** A small PNG, base64. */
  icon_base64: string | null;
  /** Who the index says signed it (checked again against the package when staged). */
  trust: Trust;
  /** Bytes. */
  size: number;
  /** Whether this server runs the contract it was built for. */
  compatible: boolean;
  incompatible: Localized | null;
  installed_version: string | null;
  /** Newer than the installed version, and compatible. */
  upgrade: boolean;
}

export interface Enablement {
  group_id: string;
  plugin_id: string;
  settings: Record<string, unknown>;
  /** `open` or `closed`. */
  hook_failure: string;
  hook_deadline_ms: number;
  enabled_at: number;
  failures: number;
  suspended_reason: string | null;
  suspended_until: number | null;
}

export interface LogLine {
  at: number;
  /** `debug`, `info`, `warn` or `error`. */
  level: string;
  message: string;
  group_id: string | null;
  request_id: string;
}

export interface Timer {
  id: string;
  /** `timer` or `schedule`. */
  kind: string;
  key: string;
  group_id: string | null;
  due_at: number;
  attempts: number;
}

export interface AuditEntry {
  id: string;
  actor_id: string | null;
  action: string;
  target: string;
  detail: any;
  at: number;
  /** The client's address as the host saw it. */
  ip: string | null;
}

export interface DayFigures {
  date: string;
  active_people: number;
  active_people_30d: number;
  messages: number;
  plugin_messages: number;
}

export interface GroupFigures {
  group_id: string;
  name: string;
  kind: string;
  messages: number;
  per_day: number[];
}

export interface PluginFigures {
  plugin_id: string;
  installed: boolean;
  messages: number;
  records: number;
  groups: number;
  admin_actions: number;
}

export interface Analytics {
  org_id: string;
  from: string;
  to: string;
  days: DayFigures[];
  dau: number;
  wau: number;
  mau: number;
  people: number;
  messages: number;
  direct_messages: number;
  groups: GroupFigures[];
  plugins: PluginFigures[];
}

/** An organization's single sign-on settings (`GET /api/v1/orgs/{org}/sso`); never the secret. */
export interface SsoConfig {
  issuer: string;
  client_id: string;
  has_client_secret: boolean;
  domains: string[];
  auto_provision: boolean;
  sso_only: boolean;
  /** What to register at the provider as the redirect URI. */
  redirect_uri: string;
  updated_at: number;
}

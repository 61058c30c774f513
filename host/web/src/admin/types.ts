// Wire types the admin console reads, as the host serialises them:
// host/src/app/views.rs (PartnerView), host/src/app/plugins.rs (PackageView, InstallView,
// EnablementView, LogLine, TimerView), host/src/app/audit.rs (AuditEntry),
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

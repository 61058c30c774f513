// Wire types of the host's API (see /api/openapi.json), as the client uses them.

export interface Org {
  id: string;
  name: string;
  slug: string;
  read_receipts_enabled: boolean;
  anonymous_posts_enabled: boolean;
  created_at: number;
  time_zone: string;
  /** Messages older than this many days are deleted; null keeps them. */
  message_retention_days: number | null;
}

export interface Person {
  id: string;
  org_id: string;
  email: string;
  display_name: string;
  title: string;
  department_id: string | null;
  phone: string;
  avatar_url: string;
  company: string;
  /** `platform_admin`, `org_admin`, `member` or `guest`. */
  role: string;
  /** `active`, `invited` or `disabled`. */
  status: string;
  created_at: number;
}

export type GroupKind = 'department' | 'team' | 'interest' | 'announcement' | 'direct' | 'shared';

export interface Group {
  id: string;
  org_id: string;
  kind: GroupKind;
  name: string;
  description: string;
  parent_id: string | null;
  head_id: string | null;
  archived: boolean;
  external: boolean;
  my_role: string | null;
  member_count: number;
  created_at: number;
  unread_count: number;
  unread_mentions: number;
}

export interface Member {
  person_id: string;
  display_name: string;
  org_id: string;
  role: string;
  guest: boolean;
  joined_at: number;
}

export interface DepartmentNode {
  id: string;
  name: string;
  head_id: string | null;
  children: DepartmentNode[];
}

export interface PersonRef {
  id: string;
  display_name: string;
}

export interface Reaction {
  emoji: string;
  count: number;
  person_ids: string[];
}

export type Segment =
  | { type: 'text'; text: string }
  | { type: 'mention'; person_id: string }
  | { type: 'mention_all' }
  | { type: 'link'; url: string; text: string | null }
  | { type: 'code'; code: string }
  | { type: 'code_block'; lang: string | null; code: string };

export interface Message {
  id: string;
  seq: number;
  group_id: string;
  kind: 'chat' | 'post';
  author: PersonRef | null;
  anonymous: boolean;
  thread_root_id: string | null;
  body: string;
  segments: Segment[];
  mentions: string[];
  mentions_all: boolean;
  reply_count: number;
  reactions: Reaction[];
  burn_after_secs: number | null;
  burn_at: number | null;
  pinned: { by: string; at: number } | null;
  created_at: number;
  edited_at: number | null;
  deleted: boolean;
  plugin_id: string | null;
  card: any | null;
  audience?: string[];
  attachments?: Attachment[];
  /** The incoming webhook that posted it. */
  bot?: { id: string; name: string };
}

export interface Attachment {
  id: string;
  name: string;
  content_type: string;
  size: number;
}

export interface Receipts {
  message_id: string;
  read: PersonRef[];
  unread: PersonRef[];
}

export interface Session {
  csrf_token: string;
  kind?: string;
  person: Person;
}

export interface ServerEvent {
  seq: number;
  type: string;
  group_id: string | null;
  at: number;
  data: any;
}

/** `{en, zh}` text from a plugin manifest. */
export interface Localized {
  en: string;
  'zh-CN': string;
}

export interface Command {
  plugin_id: string;
  name: string;
  usage: string;
  description: Localized;
}

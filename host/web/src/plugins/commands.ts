// Slash commands of the plugins enabled in a group: the list for autocomplete
// (`GET /api/v1/groups/{id}/commands`, sorted by name) and running one
// (`POST /api/v1/groups/{id}/commands {text}`).

import { api } from '../api';
import type { Command, Message } from '../types';
import type { IssuedForm, PluginReply } from './types';

export { commandName, matchCommands } from './commandMatch';

const TTL_MS = 30_000;
const cache = new Map<string, { at: number; list: Promise<Command[]> }>();

/** The group's commands, asked again after 30 s (enabling a plugin adds some). */
export function loadCommands(groupId: string): Promise<Command[]> {
  const hit = cache.get(groupId);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.list;
  const list = api.get<Command[]>(`/api/v1/groups/${encodeURIComponent(groupId)}/commands`);
  cache.set(groupId, { at: Date.now(), list });
  // A failure is not kept: the next keystroke asks again.
  list.catch(() => cache.get(groupId)?.list === list && cache.delete(groupId));
  return list;
}

/** Forgets the cached commands (of one group, or all), e.g. after enabling a plugin. */
export function invalidateCommands(groupId?: string) {
  if (groupId) cache.delete(groupId);
  else cache.clear();
}

/**
 * What a command answered; exactly one of these (host/src/app/plugins.rs `run_command`):
 * - `message`: the plugin posted a message or a card in the group; it also arrives over
 *   the WebSocket like any message;
 * - `form`: a form for this person only, with its token (show it in a dialog; submit with
 *   `submitIssuedForm`);
 * - `ephemeral`: text only this person sees;
 * - `none`: the plugin did something without a reply.
 */
export type CommandOutcome =
  | { kind: 'message'; message: Message }
  | { kind: 'form'; form: IssuedForm }
  | { kind: 'ephemeral'; text: string }
  | { kind: 'none' };

/**
 * Runs what the person typed (`/roll 20`). Refusals are thrown as ApiError, so the caller
 * keeps the draft: 422 `invalid_command` (no `/`, or over 4096 bytes), 422
 * `unknown_command` (no plugin here answers it), 422 `plugin_error` (the plugin's own
 * message, e.g. a usage hint, in the reader's language), 403 `forbidden` (cannot post
 * here), 429 `rate_limited`, 502 `plugin_failed` (crashed, timed out or suspended).
 * `explain(error)` from ./errors words them in both languages.
 */
export async function runCommand(groupId: string, text: string): Promise<CommandOutcome> {
  const reply = await api.post<PluginReply>(`/api/v1/groups/${encodeURIComponent(groupId)}/commands`, { text });
  return outcomeOf(reply);
}

export function outcomeOf(reply: PluginReply | null | undefined): CommandOutcome {
  if (reply?.form) return { kind: 'form', form: reply.form };
  if (reply?.ephemeral) return { kind: 'ephemeral', text: reply.ephemeral };
  if (reply?.message) return { kind: 'message', message: reply.message };
  return { kind: 'none' };
}

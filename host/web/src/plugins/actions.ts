// Every request plugin surfaces make, in one place. Each answers a PluginReply: the
// updated (or posted) message, a form for this person with its token, and/or text only
// they see. Refusals arrive as ApiError (see errors.ts for the codes).

import { api } from '../api';
import type { CardButton, FormSchema, IssuedForm, PageView, PluginReply } from './types';

const enc = encodeURIComponent;

/** A button on a stored card. The host checks the card still has the button. */
export function pressCardButton(messageId: string, button: Pick<CardButton, 'action_id' | 'value'>): Promise<PluginReply> {
  return api.post<PluginReply>(`/api/v1/messages/${enc(messageId)}/actions`, { action_id: button.action_id, value: button.value ?? '' });
}

/** A button on a plugin page (no stored card: the plugin decides who may press it). */
export function pressPageButton(groupId: string, pluginId: string, button: Pick<CardButton, 'action_id' | 'value'>): Promise<PluginReply> {
  return api.post<PluginReply>(`/api/v1/groups/${enc(groupId)}/plugins/${enc(pluginId)}/actions`, { action_id: button.action_id, value: button.value ?? '' });
}

/** A form on a stored card, found again by its id on the card. */
export function submitCardForm(messageId: string, formId: string, values: Record<string, unknown>): Promise<PluginReply> {
  return api.post<PluginReply>(`/api/v1/messages/${enc(messageId)}/form`, { form_id: formId, values });
}

/**
 * A form handed to this person (a command's or button's answer, or a form on a page). The
 * form goes back exactly as it came: the token is bound to its digest, so it must not be
 * edited (re-encoding its numbers is fine).
 */
export function submitIssuedForm(issued: IssuedForm | { form: FormSchema; token: string }, values: Record<string, unknown>): Promise<PluginReply> {
  return api.post<PluginReply>('/api/v1/forms', { token: issued.token, form: issued.form, values });
}

/** A plugin page; `query` is passed through to the plugin (at most 2048 bytes). */
export function fetchPage(groupId: string, pluginId: string, page: string, query: string, signal?: AbortSignal): Promise<PageView> {
  const q = query.replace(/^\?/, '');
  const path = `/api/v1/groups/${enc(groupId)}/plugins/${enc(pluginId)}/pages/${enc(page)}${q ? `?${q}` : ''}`;
  return api.get<PageView>(path, undefined, signal);
}

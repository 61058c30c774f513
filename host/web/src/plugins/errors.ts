// How plugin surfaces word the host's refusals. Many plugin errors come from the host in
// English only (`message` without `message_zh`); for the codes people meet here we have
// both languages. A plugin's own error (`plugin_error`) is the plugin's text, shown as is:
// plugins answer in the reader's language.

import { ApiError } from '../api';
import { strings } from '../i18n';
import { describeError } from '../ui/kit';
import type { FieldError } from './types';

const t = strings({
  invalid_form_token: ['This form has expired or changed. Close it and open it again.', '此表单已过期或已变更，请关闭后重新打开。'],
  unknown_form: ['This form is no longer on the card.', '卡片上已没有这个表单。'],
  unknown_action: ['This button is no longer on the card.', '卡片上已没有这个按钮。'],
  not_a_card: ['This message has no buttons.', '这条消息没有按钮。'],
  plugin_disabled: ['This plugin is not enabled in this group any more.', '该插件已不在本群启用。'],
  plugin_suspended: ['This plugin is suspended for now. Try again later.', '该插件暂时停用，请稍后再试。'],
  plugin_failed: ['The plugin could not answer. Try again later.', '插件未能响应，请稍后再试。'],
  rate_limited: ['Too many requests. Wait a moment and try again.', '请求过于频繁，请稍后再试。'],
  unknown_command: ['No plugin in this group answers that command.', '本群没有插件响应该命令。'],
  forbidden: ['You cannot do this here.', '你无权在此执行此操作。'],
  not_found: ['This is no longer available.', '内容已不存在。'],
  invalid_form: ['Some fields need attention.', '部分字段需要修改。'],
});

type Known = Parameters<typeof t>[0];
const KNOWN = new Set<string>([
  'invalid_form_token',
  'unknown_form',
  'unknown_action',
  'not_a_card',
  'plugin_disabled',
  'plugin_suspended',
  'plugin_failed',
  'rate_limited',
  'unknown_command',
  'forbidden',
  'not_found',
  'invalid_form',
]);

/** A refusal in the reader's language: the host's own words when it gave both languages,
 *  ours for the codes above, otherwise what the host said. */
export function explain(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.messageZh) return error.localized();
    if (KNOWN.has(error.code)) return t(error.code as Known);
  }
  return describeError(error);
}

/** The per-field problems of a 422 `invalid_form`, or null for any other error. */
export function formErrors(error: unknown): FieldError[] | null {
  if (error instanceof ApiError && error.status === 422 && error.code === 'invalid_form') {
    const fields = error.body?.fields;
    return Array.isArray(fields) ? (fields as FieldError[]) : [];
  }
  return null;
}

// Interface language: zh-CN or en, following the browser until the person picks one.
// Strings live beside the code that shows them, each entry holding both languages, so a
// string cannot exist in one language only.

import { signal } from '@preact/signals';

export type Lang = 'en' | 'zh-CN';
const STORAGE_KEY = 'courtyard.lang';

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    /* storage may be blocked */
  }
  const preferred = (navigator.languages?.length ? navigator.languages : [navigator.language]) ?? [];
  for (const l of preferred) {
    const lower = (l || '').toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export const lang = signal<Lang>(initialLang());

export function setLang(l: Lang) {
  lang.value = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    /* ignore */
  }
  document.documentElement.lang = l;
}
document.documentElement.lang = lang.value;

type Entry = readonly [en: string, zh: string];

/**
 * Declares a module's strings; returns `t(key, vars)` that reads the current language.
 * `{name}` placeholders are filled from `vars`.
 */
export function strings<K extends string>(table: Record<K, Entry>) {
  return (key: K, vars?: Record<string, string | number>): string => {
    const entry = table[key];
    let s = entry ? entry[lang.value === 'zh-CN' ? 1 : 0] : key;
    if (vars) {
      for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
    }
    return s;
  };
}

/** Picks the text for the current language from a pair a plugin or the server sent. */
export function pick(en: string | undefined, zh: string | undefined): string {
  return (lang.value === 'zh-CN' ? zh || en : en || zh) ?? '';
}

const dateTime = () =>
  new Intl.DateTimeFormat(lang.value, { dateStyle: 'medium', timeStyle: 'short' });

export function formatTime(ms: number): string {
  const d = new Date(ms);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) {
    return new Intl.DateTimeFormat(lang.value, { hour: '2-digit', minute: '2-digit' }).format(d);
  }
  return dateTime().format(d);
}

export function formatDateTime(ms: number): string {
  return dateTime().format(new Date(ms));
}

export function formatDay(ms: number): string {
  return new Intl.DateTimeFormat(lang.value, { dateStyle: 'full' }).format(new Date(ms));
}

/** Text from a manifest or card in `{en, "zh-CN"}` form (or a plain string). */
export function localized(text: { en?: string; 'zh-CN'?: string } | string | null | undefined): string {
  if (text == null) return '';
  if (typeof text === 'string') return text;
  return pick(text.en, text['zh-CN']);
}

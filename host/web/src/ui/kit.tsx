// Small shared pieces of the interface: buttons, avatars, dialogs, notices, empty and
// loading states. Styling lives in styles.css under the same class names.

import type { ButtonHTMLAttributes, ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { signal } from '@preact/signals';
import { strings } from '../i18n';

const t = strings({
  close: ['Close', '关闭'],
  loading: ['Loading…', '加载中…'],
  retry: ['Try again', '重试'],
  menu: ['Menu', '菜单'],
});

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: 'primary' | 'secondary' | 'ghost' | 'danger';
  small?: boolean;
  busy?: boolean;
  type?: 'button' | 'submit';
  disabled?: boolean;
};

export function Button({ variant = 'secondary', small, busy, class: cls, children, type = 'button', disabled, ...rest }: ButtonProps) {
  return (
    <button
      type={type}
      class={`btn btn-${variant}${small ? ' btn-small' : ''}${busy ? ' is-busy' : ''} ${cls ?? ''}`}
      disabled={disabled || busy}
      aria-busy={busy ? 'true' : undefined}
      {...rest}
    >
      {children}
    </button>
  );
}

const PALETTE = ['#3b6fd6', '#0f8a6d', '#b2512f', '#7a4bc2', '#c23b6b', '#2d7f9c', '#8a6d0f', '#4b5bc2'];

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}

/** Initials on a colour picked from the id: stable, and readable for Chinese names. */
export function Avatar({ id, name, size = 32 }: { id: string; name: string; size?: number }) {
  const trimmed = (name || '?').trim();
  // Chinese names read best as their last two characters (the given name).
  const isCjk = /[\u3400-\u9fff]/.test(trimmed);
  const initials = isCjk
    ? trimmed.slice(-2)
    : trimmed
        .split(/\s+/)
        .slice(0, 2)
        .map((w) => w[0]?.toUpperCase() ?? '')
        .join('');
  return (
    <span
      class="avatar"
      aria-hidden="true"
      style={{ width: `${size}px`, height: `${size}px`, background: PALETTE[hash(id) % PALETTE.length], fontSize: `${Math.round(size * (isCjk ? 0.36 : 0.4))}px` }}
    >
      {initials}
    </span>
  );
}

export function Spinner({ label }: { label?: string }) {
  return (
    <div class="spinner-row" role="status">
      <span class="spinner" aria-hidden="true" />
      <span>{label ?? t('loading')}</span>
    </div>
  );
}

export function Empty({ title, hint, children }: { title: string; hint?: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <div class="empty-title">{title}</div>
      {hint && <div class="empty-hint">{hint}</div>}
      {children}
    </div>
  );
}

export function ErrorNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const text = describeError(error);
  return (
    <div class="error-note" role="alert">
      <span>{text}</span>
      {onRetry && (
        <Button small variant="ghost" onClick={onRetry}>
          {t('retry')}
        </Button>
      )}
    </div>
  );
}

export function describeError(error: unknown): string {
  if (!error) return '';
  const e = error as any;
  if (typeof e.localized === 'function') return e.localized();
  return e.message ?? String(error);
}

/** A modal dialog: focus moves in, Escape and the backdrop close it. */
export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>('input, select, textarea, button:not(.modal-close)');
    (first ?? ref.current)?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      previous?.focus?.();
    };
  }, []);
  return (
    <div class="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div class={`modal${wide ? ' modal-wide' : ''}`} role="dialog" aria-modal="true" aria-label={title} ref={ref} tabIndex={-1}>
        <header class="modal-head">
          <h2>{title}</h2>
          <button class="modal-close" aria-label={t('close')} onClick={onClose}>
            ×
          </button>
        </header>
        <div class="modal-body">{children}</div>
      </div>
    </div>
  );
}

/** A labelled form control with its hint and error. */
export function Field({ label, hint, error, children, required }: { label: string; hint?: string; error?: string | null; children: ComponentChildren; required?: boolean }) {
  return (
    <label class={`field${error ? ' has-error' : ''}`}>
      <span class="field-label">
        {label}
        {required && <span class="required" aria-hidden="true"> *</span>}
      </span>
      {children}
      {hint && !error && <span class="field-hint">{hint}</span>}
      {error && <span class="field-error" role="alert">{error}</span>}
    </label>
  );
}

export function Badge({ children, tone = 'neutral' }: { children: ComponentChildren; tone?: 'neutral' | 'info' | 'success' | 'warning' | 'danger' | 'external' }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error';
}
export const toasts = signal<Toast[]>([]);
let toastSeq = 0;

/** A short notice in the corner that goes away by itself. */
export function toast(text: string, tone: 'info' | 'error' = 'info') {
  const id = ++toastSeq;
  toasts.value = [...toasts.value, { id, text, tone }];
  setTimeout(() => (toasts.value = toasts.value.filter((x) => x.id !== id)), 5000);
}

export function Toasts() {
  return (
    <div class="toasts" aria-live="polite">
      {toasts.value.map((x) => (
        <div key={x.id} class={`toast toast-${x.tone}`}>
          {x.text}
        </div>
      ))}
    </div>
  );
}

/** The ☰ button that opens the sidebar on a phone (hidden on wider screens). */
export function MenuButton({ onClick }: { onClick: () => void }) {
  return (
    <button type="button" class="icon-btn mobile-only" aria-label={t('menu')} onClick={onClick}>
      ☰
    </button>
  );
}

// Controls for form fields that name things in the directory: people (search as you
// type), groups, departments (the organization's tree) and uploaded files. Each holds an
// id (or ids) as the host expects; names are looked up for display only.

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { openProfile } from '../directory/profile';
import { strings } from '../i18n';
import type { DepartmentNode } from '../types';
import { Avatar, Button } from '../ui/kit';
import { explain } from './errors';
import { departments, fileInfo, myGroups, personName, remember, rememberFile, searchPeople, type FileInfo, type PersonSummary } from './lookups';
import './plugins.css';

const t = strings({
  search: ['Search by name, pinyin or email', '按姓名、拼音或邮箱搜索'],
  searching: ['Searching…', '搜索中…'],
  nobody: ['No one found', '未找到人员'],
  remove: ['Remove {name}', '移除 {name}'],
  choose: ['Choose…', '请选择…'],
  loading: ['Loading…', '加载中…'],
  chooseFile: ['Choose file', '选择文件'],
  replace: ['Replace', '替换'],
  uploading: ['Uploading…', '上传中…'],
  removeFile: ['Remove file', '移除文件'],
  unknown: ['(not found)', '（未找到）'],
});

/** What every control takes for labelling and error wiring. */
export interface ControlA11y {
  id: string;
  invalid?: boolean;
  describedBy?: string;
  disabled?: boolean;
  /** For controls without a visible label of their own (table cells). */
  label?: string;
}

// ---- People ----

/** One person (`multiple` false) or several, picked by searching the directory. */
export function PersonPicker({
  ids,
  onChange,
  multiple,
  max,
  placeholder,
  ...a11y
}: ControlA11y & { ids: string[]; onChange: (ids: string[]) => void; multiple: boolean; max?: number | null; placeholder?: string | null }) {
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(false);
  const [results, setResults] = useState<PersonSummary[]>([]);
  const [active, setActive] = useState(0);
  const [loading, setLoading] = useState(false);
  const [failed, setFailed] = useState<unknown>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const inflight = useRef<AbortController | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const listId = `${a11y.id}-list`;

  useEffect(
    () => () => {
      clearTimeout(timer.current);
      inflight.current?.abort();
    },
    [],
  );

  // Debounced: one request per pause in typing, the previous one cancelled.
  function search(text: string) {
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      inflight.current?.abort();
      const ac = new AbortController();
      inflight.current = ac;
      setLoading(true);
      try {
        const found = await searchPeople(text, ac.signal);
        if (ac.signal.aborted) return;
        setResults(found);
        setActive(0);
        setFailed(null);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') setFailed(e);
      } finally {
        if (inflight.current === ac) setLoading(false);
      }
    }, 200);
  }

  const place = useListPlacement(open, input);
  const shown = results.filter((p) => !ids.includes(p.id));
  const full = multiple ? max != null && ids.length >= max : ids.length >= 1;

  function choose(p: PersonSummary) {
    remember([p]);
    onChange(multiple ? [...ids, p.id] : [p.id]);
    setQ('');
    setResults([]);
    setOpen(false);
    if (multiple) setTimeout(() => input.current?.focus());
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!open) setOpen(true);
      const n = shown.length;
      if (n) setActive((i) => (i + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
    } else if (e.key === 'Enter') {
      // Enter picks the highlighted person rather than submitting the form.
      if (open && shown[active]) {
        e.preventDefault();
        choose(shown[active]);
      }
    } else if (e.key === 'Escape' && open) {
      e.stopPropagation();
      setOpen(false);
    } else if (e.key === 'Backspace' && !q && multiple && ids.length) {
      onChange(ids.slice(0, -1));
    }
  }

  return (
    <div class={`pf-people${a11y.invalid ? ' is-invalid' : ''}${a11y.disabled ? ' is-disabled' : ''}`}>
      {ids.map((pid) => {
        const name = personName(pid);
        return (
          <span class="pf-chip" key={pid}>
            <button type="button" class="pf-chip-name" onClick={() => openProfile(pid)}>
              <Avatar id={pid} name={name} size={20} />
              <span>{name}</span>
            </button>
            {!a11y.disabled && (
              <button type="button" class="pf-chip-x" aria-label={t('remove', { name })} onClick={() => onChange(ids.filter((x) => x !== pid))}>
                ×
              </button>
            )}
          </span>
        );
      })}
      {!full && !a11y.disabled && (
        <div class="pf-search">
          <input
            ref={input}
            id={a11y.id}
            type="text"
            role="combobox"
            autocomplete="off"
            aria-label={a11y.label}
            aria-expanded={open}
            aria-controls={listId}
            aria-autocomplete="list"
            aria-activedescendant={open && shown[active] ? `${listId}-${active}` : undefined}
            aria-invalid={a11y.invalid || undefined}
            aria-describedby={a11y.describedBy}
            placeholder={placeholder || t('search')}
            value={q}
            onInput={(e) => {
              const text = e.currentTarget.value;
              setQ(text);
              setOpen(true);
              search(text);
            }}
            onFocus={() => {
              setOpen(true);
              search(q);
            }}
            onBlur={() => setOpen(false)}
            onKeyDown={onKeyDown}
          />
          {open && (
            <ul class="pf-suggest" role="listbox" id={listId} style={place}>
              {shown.map((p, i) => (
                <li
                  key={p.id}
                  id={`${listId}-${i}`}
                  role="option"
                  aria-selected={i === active}
                  class={`popup-item${i === active ? ' selected' : ''}`}
                  // Chosen on mouse down, before the input's blur closes the list.
                  onMouseDown={(e) => {
                    e.preventDefault();
                    choose(p);
                  }}
                  onMouseEnter={() => setActive(i)}
                >
                  <Avatar id={p.id} name={p.display_name} size={24} />
                  <span class="pf-suggest-name">{p.display_name}</span>
                  <span class="sub">{[p.title, p.email].filter(Boolean).join(' · ')}</span>
                </li>
              ))}
              {!shown.length && <li class="pf-suggest-empty">{failed ? explain(failed) : loading ? t('searching') : t('nobody')}</li>}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

/**
 * Where the suggestions go: against the viewport, under the input (or above it near the
 * bottom edge), so no scrolling container clips them (a table's cells scroll sideways).
 */
function useListPlacement(open: boolean, anchor: { current: HTMLElement | null }) {
  const [style, setStyle] = useState<Record<string, string>>({});
  useLayoutEffect(() => {
    if (!open) return;
    const update = () => {
      const r = anchor.current?.getBoundingClientRect();
      if (!r) return;
      const below = window.innerHeight - r.bottom;
      const width = Math.max(r.width + 12, 260);
      const left = Math.max(8, Math.min(r.left - 6, window.innerWidth - width - 8));
      setStyle({
        position: 'fixed',
        left: `${left}px`,
        width: `${width}px`,
        ...(below < 280 && r.top > below ? { bottom: `${window.innerHeight - r.top + 6}px`, top: 'auto' } : { top: `${r.bottom + 6}px` }),
      });
    };
    update();
    // Any scrolling ancestor (the page, a dialog, a table) moves the input.
    window.addEventListener('scroll', update, true);
    window.addEventListener('resize', update);
    return () => {
      window.removeEventListener('scroll', update, true);
      window.removeEventListener('resize', update);
    };
  }, [open]);
  return style;
}

// ---- Groups and departments ----

interface SelectOption {
  id: string;
  label: string;
}

/** Loads a select's options once per `deps` (nothing while `load` gives null); an answer after unmounting is dropped. */
function useOptions(load: () => Promise<SelectOption[]> | null, deps: unknown[]) {
  const [options, setOptions] = useState<SelectOption[] | null>(null);
  const [failed, setFailed] = useState<unknown>(null);
  useEffect(() => {
    const loading = load();
    if (!loading) return;
    let live = true;
    loading.then((o) => live && setOptions(o)).catch((e) => live && setFailed(e));
    return () => {
      live = false;
    };
  }, deps);
  return { options, failed };
}

/** A select over loaded `options` (disabled until they come); a current value not among them stays, marked as not found. */
function OptionSelect({ value, onChange, options, failed, ...a11y }: ControlA11y & { value: string; onChange: (id: string) => void; options: SelectOption[] | null; failed: unknown }) {
  const known = options?.some((o) => o.id === value);
  return (
    <>
      <select
        id={a11y.id}
        aria-label={a11y.label}
        aria-invalid={a11y.invalid || undefined}
        aria-describedby={a11y.describedBy}
        disabled={a11y.disabled || !options}
        value={value}
        onChange={(e) => onChange(e.currentTarget.value)}
      >
        <option value="">{options ? t('choose') : t('loading')}</option>
        {options?.map((o) => (
          <option key={o.id} value={o.id}>
            {o.label}
          </option>
        ))}
        {value && options && !known && <option value={value}>{`${value} ${t('unknown')}`}</option>}
      </select>
      {failed != null && <span class="field-error">{explain(failed)}</span>}
    </>
  );
}

export function GroupSelect({ value, onChange, ...a11y }: ControlA11y & { value: string; onChange: (id: string) => void }) {
  const { options, failed } = useOptions(() => myGroups().then((g) => g.filter((x) => !x.archived || x.id === value).map((x) => ({ id: x.id, label: x.name }))), []);
  return <OptionSelect {...a11y} value={value} onChange={onChange} options={options} failed={failed} />;
}

/** The tree as options, depth first, each name indented by its depth. */
function departmentOptions(nodes: DepartmentNode[], depth = 0, out: SelectOption[] = []) {
  for (const n of nodes) {
    out.push({ id: n.id, label: '\u00a0\u00a0\u00a0'.repeat(depth) + n.name });
    departmentOptions(n.children, depth + 1, out);
  }
  return out;
}

/** A department of `orgId`, chosen from its tree (indented, so the hierarchy reads). */
export function DepartmentSelect({ value, onChange, orgId, ...a11y }: ControlA11y & { value: string; onChange: (id: string) => void; orgId: string | null }) {
  const { options, failed } = useOptions(() => (orgId ? departments(orgId).then((tree) => departmentOptions(tree)) : null), [orgId]);
  return <OptionSelect {...a11y} value={value} onChange={onChange} options={options} failed={failed} />;
}

// ---- Files ----

export function formatSize(bytes: number): string {
  if (bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Uploads on choosing (`POST /api/v1/files`) and keeps the file's id. `onBusy(±1)` tells
 *  the form an upload is under way, so it does not submit without it. */
export function FileField({ value, onChange, onBusy, ...a11y }: ControlA11y & { value: string; onChange: (id: string) => void; onBusy: (delta: number) => void }) {
  const [info, setInfo] = useState<FileInfo | null>(null);
  const [uploading, setUploading] = useState(false);
  const [failed, setFailed] = useState<unknown>(null);
  const picker = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!value) {
      setInfo(null);
      return;
    }
    if (info?.id === value) return;
    let live = true;
    fileInfo(value)
      .then((i) => live && setInfo(i))
      .catch(() => live && setInfo({ id: value, name: value, size: -1, content_type: '' }));
    return () => {
      live = false;
    };
  }, [value]);

  async function upload(file: File) {
    setUploading(true);
    setFailed(null);
    onBusy(1);
    try {
      const f = await api.upload<FileInfo>(file);
      rememberFile(f);
      setInfo(f);
      onChange(f.id);
    } catch (e) {
      setFailed(e);
    } finally {
      setUploading(false);
      onBusy(-1);
    }
  }

  return (
    <div class={`pf-file${a11y.invalid ? ' is-invalid' : ''}`}>
      <input
        ref={picker}
        type="file"
        class="sr-only"
        tabIndex={-1}
        aria-hidden="true"
        disabled={a11y.disabled}
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          e.currentTarget.value = '';
          if (file) void upload(file);
        }}
      />
      {value && info && (
        <span class="pf-file-name">
          <a href={`/api/v1/files/${encodeURIComponent(value)}`} target="_blank" rel="noopener noreferrer">
            {info.name}
          </a>
          {info.size >= 0 && <span class="muted small"> {formatSize(info.size)}</span>}
        </span>
      )}
      {!a11y.disabled && (
        <Button small id={a11y.id} busy={uploading} aria-label={a11y.label} aria-describedby={a11y.describedBy} onClick={() => picker.current?.click()}>
          {uploading ? t('uploading') : value ? t('replace') : t('chooseFile')}
        </Button>
      )}
      {value && !a11y.disabled && !uploading && (
        <button type="button" class="icon-btn" aria-label={t('removeFile')} onClick={() => onChange('')}>
          ×
        </button>
      )}
      {failed != null && <span class="field-error">{explain(failed)}</span>}
    </div>
  );
}

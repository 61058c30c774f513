// A plugin's per-group settings form, generated from the settings schema in its manifest
// (text, number, bool, select), checked here the way the host checks it.

import { localized, strings } from '../i18n';
import { Field } from '../ui/kit';
import type { SettingProblem, SettingValues } from './logic';
import { MAX_SETTING_TEXT } from './logic';
import type { SettingSpec } from './types';

const t = strings({
  required: ['Required', '必填'],
  notANumber: ['Enter a number', '请输入数字'],
  tooLong: ['At most {n} characters', '最多 {n} 个字符'],
  notAnOption: ['Pick one of the options', '请从选项中选择'],
  choose: ['Choose…', '请选择…'],
  defaultIs: ['Default: {value}', '默认值：{value}'],
  noSettings: ['This plugin has no settings.', '此插件没有可配置的设置。'],
});

export function settingProblemText(p: SettingProblem | undefined): string | null {
  switch (p) {
    case 'required':
      return t('required');
    case 'not_a_number':
      return t('notANumber');
    case 'too_long':
      return t('tooLong', { n: MAX_SETTING_TEXT });
    case 'not_an_option':
      return t('notAnOption');
    default:
      return null;
  }
}

export function SettingsFields({
  specs,
  values,
  errors,
  onChange,
}: {
  specs: SettingSpec[];
  values: SettingValues;
  errors: Record<string, SettingProblem>;
  onChange: (v: SettingValues) => void;
}) {
  if (specs.length === 0) return <p class="muted">{t('noSettings')}</p>;
  const set = (name: string, v: string | boolean) => onChange({ ...values, [name]: v });
  return (
    <div class="stack" data-testid="plugin-settings-form">
      {specs.map((s) => {
        const label = localized(s.label) || s.name;
        const hasDefault = s.default !== undefined && s.default !== null;
        const hint = hasDefault && s.type !== 'bool' ? t('defaultIs', { value: String(s.default) }) : undefined;
        const error = settingProblemText(errors[s.name]);
        const id = `setting-${s.name}`;
        if (s.type === 'bool') {
          return (
            <label key={s.name} class="admin-check">
              <input type="checkbox" checked={values[s.name] === true} onChange={(e) => set(s.name, (e.target as HTMLInputElement).checked)} data-testid={id} />
              <span>{label}</span>
            </label>
          );
        }
        return (
          <Field key={s.name} label={label} required={s.required && !hasDefault} hint={hint} error={error}>
            {s.type === 'select' ? (
              <select value={String(values[s.name] ?? '')} onChange={(e) => set(s.name, (e.target as HTMLSelectElement).value)} data-testid={id}>
                <option value="">{t('choose')}</option>
                {(s.options ?? []).map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : s.type === 'number' ? (
              <input type="text" inputMode="decimal" value={String(values[s.name] ?? '')} onInput={(e) => set(s.name, (e.target as HTMLInputElement).value)} data-testid={id} aria-invalid={error ? 'true' : undefined} />
            ) : (
              <input type="text" value={String(values[s.name] ?? '')} maxLength={MAX_SETTING_TEXT} onInput={(e) => set(s.name, (e.target as HTMLInputElement).value)} data-testid={id} aria-invalid={error ? 'true' : undefined} />
            )}
          </Field>
        );
      })}
    </div>
  );
}

// Analytics from GET /api/v1/orgs/{org}/analytics: active people (daily and 30-day),
// messages per day (people and plugins), per group, and plugin usage.

import { useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { lang, strings } from '../i18n';
import { Button, Empty, ErrorNote, Spinner } from '../ui/kit';
import { utcDate } from './chartMath';
import { BarChart, ChartCard, HBarChart, LineChart, PALETTE } from './Charts';
import { SectionHead, Table, kindLabel, tc, useLoad, type Column } from './shared';
import type { Analytics } from './types';

const t = strings({
  title: ['Analytics', '数据分析'],
  hint: ['How the organization uses Courtyard. Days are UTC days; today is included.', '组织使用 Courtyard 的情况。按 UTC 日期统计，包含今天。'],
  range: ['Period', '统计周期'],
  days: ['{n} days', '{n} 天'],
  dau: ['Active today', '今日活跃'],
  wau: ['Active in 7 days', '7 日活跃'],
  mau: ['Active in 30 days', '30 日活跃'],
  ofPeople: ['of {n} people', '共 {n} 人'],
  stickiness: ['{p}% come back daily (today ÷ 30 days)', '日活/月活：{p}%'],
  messages: ['Messages', '消息数'],
  perDay: ['{n} a day on average', '日均 {n} 条'],
  pluginShare: ['Plugin messages', '插件消息'],
  pluginShareHint: ['{p}% of all messages', '占全部消息的 {p}%'],
  activeTitle: ['Active people', '活跃人数'],
  activeHint: ['People who posted or signed in. The 30-day line counts everyone active in the 30 days up to each day.', '发过消息或登录过的人。30 日曲线统计截至当天 30 天内的活跃人数。'],
  daily: ['Daily', '每日'],
  monthly: ['30-day', '30 日'],
  activeDesc: ['From {from} to {to}: {today} active today, {mau} in the last 30 days; the busiest day had {max}.', '{from} 至 {to}：今日活跃 {today} 人，近 30 天活跃 {mau} 人；最高一天 {max} 人。'],
  messagesTitle: ['Messages per day', '每日消息数'],
  messagesHint: ['Everything written in the organization’s groups, replies included.', '组织内各群组中的全部消息，包括回复。'],
  byPeople: ['By people', '成员发送'],
  byPlugins: ['By plugins', '插件发送'],
  messagesDesc: ['{total} messages from {from} to {to}; the busiest day, {day}, had {max}.', '{from} 至 {to} 共 {total} 条消息；最多的一天（{day}）有 {max} 条。'],
  groupsTitle: ['Messages per day by group', '各群组每日消息数'],
  groupsHint: ['The five busiest groups of the period.', '本期消息最多的五个群组。'],
  groupsDesc: ['Daily messages of {names}.', '{names} 的每日消息数。'],
  busiest: ['Busiest groups', '最活跃的群组'],
  group: ['Group', '群组'],
  kind: ['Kind', '类型'],
  share: ['Share', '占比'],
  direct: ['Direct messages (all conversations)', '私聊（全部会话）'],
  noGroups: ['No messages in groups in this period', '此期间群组中没有消息'],
  topOnly: ['Only the {n} busiest groups are listed.', '仅列出消息最多的 {n} 个群组。'],
  pluginsTitle: ['Plugin usage', '插件使用情况'],
  pluginsHint: ['Cards and messages plugins posted and records they created in the period; groups where each is on now.', '本期插件发送的卡片与消息、创建的记录，以及当前启用的群组数。'],
  pluginsDesc: ['Messages and records per plugin over the period.', '本期各插件的消息数和记录数。'],
  plugin: ['Plugin', '插件'],
  pMessages: ['Messages', '消息'],
  pRecords: ['Records', '记录'],
  pGroups: ['Groups enabled', '启用群组'],
  pActions: ['Admin changes', '管理变更'],
  uninstalled: ['uninstalled', '已卸载'],
  noPlugins: ['No plugins installed', '未安装插件'],
  date: ['Date', '日期'],
  total: ['Total', '合计'],
});

const RANGES = [7, 30, 90, 180];

function pct(a: number, b: number): number {
  return b > 0 ? Math.round((a / b) * 100) : 0;
}

export function AnalyticsPage({ orgId }: { orgId: string }) {
  const [days, setDays] = useState(30);
  const data = useLoad((signal) => api.get<Analytics>(`/api/v1/orgs/${orgId}/analytics`, { days }, signal), [orgId, days]);

  return (
    <div class="stack" data-testid="analytics">
      <SectionHead title={t('title')} hint={t('hint')}>
        <div class="admin-segmented" role="group" aria-label={t('range')}>
          {RANGES.map((n) => (
            <button key={n} type="button" class={days === n ? 'active' : ''} aria-pressed={days === n} onClick={() => setDays(n)}>
              {t('days', { n })}
            </button>
          ))}
        </div>
        <Button onClick={data.reload} busy={data.loading && !!data.data}>
          {tc('refresh')}
        </Button>
      </SectionHead>
      {data.error ? <ErrorNote error={data.error} onRetry={data.reload} /> : !data.data ? <Spinner /> : <Figures a={data.data} />}
    </div>
  );
}

function Figures({ a }: { a: Analytics }) {
  const fmt = useMemo(() => new Intl.DateTimeFormat(lang.value, { month: 'short', day: 'numeric', timeZone: 'UTC' }), [lang.value]);
  const labels = a.days.map((d) => fmt.format(utcDate(d.date)));
  const nf = new Intl.NumberFormat(lang.value);
  const pluginMessages = a.days.reduce((s, d) => s + d.plugin_messages, 0);
  const busiestDay = a.days.reduce((best, d, i) => (d.messages > a.days[best].messages ? i : best), 0);
  const maxActive = Math.max(0, ...a.days.map((d) => d.active_people));
  const topGroups = a.groups.slice(0, 5);
  const groupTotal = a.groups.reduce((s, g) => s + g.messages, 0);
  const days = Math.max(1, a.days.length);

  return (
    <>
      <div class="admin-kpis">
        <Kpi label={t('dau')} value={nf.format(a.dau)} sub={t('ofPeople', { n: nf.format(a.people) })} testid="kpi-dau" />
        <Kpi label={t('wau')} value={nf.format(a.wau)} sub={t('ofPeople', { n: nf.format(a.people) })} />
        <Kpi label={t('mau')} value={nf.format(a.mau)} sub={t('stickiness', { p: pct(a.dau, a.mau) })} />
        <Kpi label={t('messages')} value={nf.format(a.messages)} sub={t('perDay', { n: nf.format(Math.round((a.messages / days) * 10) / 10) })} testid="kpi-messages" />
        <Kpi label={t('pluginShare')} value={nf.format(pluginMessages)} sub={t('pluginShareHint', { p: pct(pluginMessages, a.messages) })} />
      </div>

      <ChartCard
        title={t('activeTitle')}
        hint={t('activeHint')}
        testid="chart-active"
        table={{ head: [t('date'), t('daily'), t('monthly')], rows: a.days.map((d, i) => [labels[i], d.active_people, d.active_people_30d]) }}
      >
        <LineChart
          title={t('activeTitle')}
          desc={t('activeDesc', { from: a.from, to: a.to, today: a.dau, mau: a.mau, max: maxActive })}
          labels={labels}
          series={[
            { name: t('daily'), values: a.days.map((d) => d.active_people), color: PALETTE[0] },
            { name: t('monthly'), values: a.days.map((d) => d.active_people_30d), color: PALETTE[2] },
          ]}
        />
      </ChartCard>

      <ChartCard
        title={t('messagesTitle')}
        hint={t('messagesHint')}
        testid="chart-messages"
        table={{ head: [t('date'), t('byPeople'), t('byPlugins'), t('total')], rows: a.days.map((d, i) => [labels[i], d.messages - d.plugin_messages, d.plugin_messages, d.messages]) }}
      >
        <BarChart
          title={t('messagesTitle')}
          desc={t('messagesDesc', { total: a.messages, from: a.from, to: a.to, day: a.days[busiestDay]?.date ?? '', max: a.days[busiestDay]?.messages ?? 0 })}
          labels={labels}
          series={[
            { name: t('byPeople'), values: a.days.map((d) => d.messages - d.plugin_messages), color: PALETTE[0] },
            { name: t('byPlugins'), values: a.days.map((d) => d.plugin_messages), color: PALETTE[1] },
          ]}
        />
      </ChartCard>

      <ChartCard
        title={t('groupsTitle')}
        hint={t('groupsHint')}
        empty={topGroups.length === 0}
        testid="chart-groups"
        table={{ head: [t('date'), ...topGroups.map((g) => g.name)], rows: a.days.map((_, i) => [labels[i], ...topGroups.map((g) => g.per_day[i] ?? 0)]) }}
      >
        <LineChart title={t('groupsTitle')} desc={t('groupsDesc', { names: topGroups.map((g) => g.name).join(', ') })} labels={labels} area={false} series={topGroups.map((g, i) => ({ name: g.name, values: g.per_day, color: PALETTE[i % PALETTE.length] }))} />
      </ChartCard>

      <section class="panel stack">
        <h3>{t('busiest')}</h3>
        {a.groups.length === 0 && a.direct_messages === 0 ? (
          <Empty title={t('noGroups')} />
        ) : (
          <Table testid="analytics-groups" columns={[t('group'), t('kind'), num(t('messages')), { label: t('share'), class: 'admin-share-col' }]}>
            {a.groups.map((g) => (
              <tr key={g.group_id}>
                <td>
                  <strong>{g.name}</strong>
                </td>
                <td>{kindLabel(g.kind)}</td>
                <td class="admin-num">{nf.format(g.messages)}</td>
                <td>
                  <ShareBar value={g.messages} total={a.messages} />
                </td>
              </tr>
            ))}
            {a.direct_messages > 0 && (
              <tr>
                <td class="muted">{t('direct')}</td>
                <td>{kindLabel('direct')}</td>
                <td class="admin-num">{nf.format(a.direct_messages)}</td>
                <td>
                  <ShareBar value={a.direct_messages} total={a.messages} />
                </td>
              </tr>
            )}
          </Table>
        )}
        {groupTotal + a.direct_messages < a.messages && <p class="muted small">{t('topOnly', { n: a.groups.length })}</p>}
      </section>

      <ChartCard
        title={t('pluginsTitle')}
        hint={t('pluginsHint')}
        empty={a.plugins.length === 0}
        testid="chart-plugins"
        table={{ head: [t('plugin'), t('pMessages'), t('pRecords'), t('pGroups'), t('pActions')], rows: a.plugins.map((p) => [p.plugin_id, p.messages, p.records, p.groups, p.admin_actions]) }}
      >
        <HBarChart
          title={t('pluginsTitle')}
          desc={t('pluginsDesc')}
          rows={a.plugins.map((p) => ({ label: p.installed ? p.plugin_id : `${p.plugin_id} (${t('uninstalled')})`, values: [p.messages, p.records] }))}
          series={[
            { name: t('pMessages'), color: PALETTE[1] },
            { name: t('pRecords'), color: PALETTE[2] },
          ]}
        />
        <Table testid="analytics-plugins" columns={[t('plugin'), num(t('pMessages')), num(t('pRecords')), num(t('pGroups')), num(t('pActions'))]}>
          {a.plugins.map((p) => (
            <tr key={p.plugin_id}>
              <td>
                <code>{p.plugin_id}</code> {!p.installed && <span class="muted small">({t('uninstalled')})</span>}
              </td>
              <td class="admin-num">{nf.format(p.messages)}</td>
              <td class="admin-num">{nf.format(p.records)}</td>
              <td class="admin-num">{nf.format(p.groups)}</td>
              <td class="admin-num">{nf.format(p.admin_actions)}</td>
            </tr>
          ))}
        </Table>
      </ChartCard>
    </>
  );
}

/** A column of numbers, aligned to the right. */
function num(label: string): Column {
  return { label, class: 'admin-num' };
}

function Kpi({ label, value, sub, testid }: { label: string; value: string; sub?: string; testid?: string }) {
  return (
    <div class="panel admin-kpi" data-testid={testid}>
      <div class="admin-kpi-label">{label}</div>
      <div class="admin-kpi-value">{value}</div>
      {sub && <div class="admin-kpi-sub">{sub}</div>}
    </div>
  );
}

function ShareBar({ value, total }: { value: number; total: number }) {
  const p = total > 0 ? (value / total) * 100 : 0;
  return (
    <span class="admin-share" title={`${Math.round(p)}%`}>
      <span class="admin-share-track" aria-hidden="true">
        <span class="admin-share-fill" style={{ width: `${Math.max(p, value > 0 ? 1 : 0)}%` }} />
      </span>
      <span class="small muted">{Math.round(p)}%</span>
    </span>
  );
}

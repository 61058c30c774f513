// Plugin cards (host/runtime/src/card.rs): `{title, blocks}` where a block is text, fields,
// a badge, a table, an image, buttons, a divider, people, a timeline or a form.
//
// A card in a message acts through its message (buttons: `POST /messages/{id}/actions`,
// its form: `POST /messages/{id}/form`); a card on a plugin page has no message and acts
// through the page (see PluginPage.tsx). `CardView` renders either, given how to act.

import { useState } from 'preact/hooks';
import { openProfile } from '../directory/profile';
import { formatDateTime, strings } from '../i18n';
import type { Message } from '../types';
import { Avatar, Badge, Button, Modal } from '../ui/kit';
import { pressCardButton, submitCardForm } from './actions';
import { explain } from './errors';
import type { Values } from './formula';
import { PluginForm } from './Form';
import { useReplies } from './FormSubmit';
import { pluginName } from './names';
import type { Card, CardBlock, CardButton, PluginReply, Tone } from './types';
import './plugins.css';

const t = strings({
  onlyYou: ['Only you can see this', '仅你可见'],
  dismiss: ['Dismiss', '关闭'],
  cancel: ['Cancel', '取消'],
  confirm: ['Confirm', '确认'],
  image: ['Image from the plugin', '插件提供的图片'],
});

/** A plugin's card in a message. Button and form answers update the message in place:
 *  `onUpdated` gets the new message at once (the WebSocket brings it to everyone else). */
export function PluginCard({ message, onUpdated }: { message: Message; onUpdated?: (m: Message) => void }) {
  const card = message.card as Card | null;
  if (!card || message.deleted || !Array.isArray(card.blocks)) return null;
  const ops: CardOps = {
    press: (b) => pressCardButton(message.id, b),
    submitForm: (block, values) => submitCardForm(message.id, block.form.id, values),
  };
  return <CardView card={card} pluginId={message.plugin_id} ops={ops} groupId={message.group_id} onMessage={onUpdated} />;
}

type FormBlock = Extract<CardBlock, { type: 'form' }>;

/** How a card acts: through its message, or through the page it is on. */
export interface CardOps {
  press: (button: CardButton) => Promise<PluginReply>;
  submitForm: (block: FormBlock, values: Values) => Promise<PluginReply>;
}

export interface CardViewProps {
  card: Card;
  /** Heads the card with the plugin's name; omitted on the plugin's own pages. */
  pluginId?: string | null;
  ops: CardOps;
  groupId?: string;
  onMessage?: (m: Message) => void;
  /** After any button or form got an answer. */
  onAfter?: () => void;
}

export function CardView({ card, pluginId, ops, groupId, onMessage, onAfter }: CardViewProps) {
  const [pressing, setPressing] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState<{ button: CardButton; key: string } | null>(null);
  const [notes, setNotes] = useState<string[]>([]);
  const replies = useReplies({
    onMessage,
    onAfter,
    groupId,
    // Shown on the card it answers, where the person is looking.
    onEphemeral: (text) => setNotes((n) => [...n.slice(-2), text]),
  });

  async function press(button: CardButton, key: string) {
    if (pressing) return;
    setPressing(key);
    setError(null);
    try {
      replies.handle(await ops.press(button));
    } catch (e) {
      setError(e);
    } finally {
      setPressing(null);
    }
  }

  // Badges right after the title head the card, like a status.
  const blocks = card.blocks;
  let lead = 0;
  while (lead < blocks.length && blocks[lead].type === 'badge') lead++;
  const headBadges = blocks.slice(0, lead) as BadgeBlock[];
  const body = groupBadges(blocks.slice(lead), lead);
  const name = pluginId ? pluginName(pluginId) : null;

  return (
    <article class="pc-card" aria-label={card.title || name || undefined}>
      {(card.title || name || headBadges.length > 0) && (
        <header class="pc-head">
          {name && (
            <span class="pc-mark" aria-hidden="true">
              {Array.from(name)[0]}
            </span>
          )}
          <div class="pc-heading">
            {name && <div class="pc-plugin">{name}</div>}
            {card.title && <div class="pc-title">{card.title}</div>}
          </div>
          {headBadges.length > 0 && (
            <div class="pc-head-badges">
              {headBadges.map((b, i) => (
                <Badge key={i} tone={tone(b.tone)}>
                  {b.text}
                </Badge>
              ))}
            </div>
          )}
        </header>
      )}
      <div class="pc-body">
        {body.map((item) =>
          'badges' in item ? (
            <div class="pc-badges" key={item.index}>
              {item.badges.map((b, i) => (
                <Badge key={i} tone={tone(b.tone)}>
                  {b.text}
                </Badge>
              ))}
            </div>
          ) : (
            <BlockView
              key={item.index}
              block={item.block}
              index={item.index}
              pressing={pressing}
              onPress={(button, key) => (button.confirm ? setConfirming({ button, key }) : press(button, key))}
              onSubmitForm={async (block, values) => replies.handle(await ops.submitForm(block, values))}
              groupId={groupId}
            />
          ),
        )}
        {error != null && (
          <div class="error-note" role="alert">
            {explain(error)}
          </div>
        )}
        {notes.map((text, i) => (
          <div class="pc-note" key={i} role="status">
            <span class="pc-note-who">{t('onlyYou')}</span>
            <span>{text}</span>
            <button type="button" class="icon-btn" aria-label={t('dismiss')} onClick={() => setNotes((n) => n.filter((_, j) => j !== i))}>
              ×
            </button>
          </div>
        ))}
      </div>
      {confirming && (
        <Modal title={confirming.button.label} onClose={() => setConfirming(null)}>
          <p class="pc-confirm">{confirming.button.confirm}</p>
          <div class="pf-actions">
            <Button variant="ghost" onClick={() => setConfirming(null)}>
              {t('cancel')}
            </Button>
            <Button
              variant={confirming.button.style === 'danger' ? 'danger' : 'primary'}
              onClick={() => {
                const { button, key } = confirming;
                setConfirming(null);
                void press(button, key);
              }}
            >
              {t('confirm')}
            </Button>
          </div>
        </Modal>
      )}
      {replies.dialog}
    </article>
  );
}

type BadgeBlock = Extract<CardBlock, { type: 'badge' }>;
type Item = { block: CardBlock; index: number } | { badges: BadgeBlock[]; index: number };

/** The blocks in order, with consecutive badges as one row of tags. */
function groupBadges(blocks: CardBlock[], from: number): Item[] {
  const out: Item[] = [];
  blocks.forEach((block, i) => {
    const last = out[out.length - 1];
    if (block.type !== 'badge') out.push({ block, index: from + i });
    else if (last && 'badges' in last) last.badges.push(block);
    else out.push({ badges: [block], index: from + i });
  });
  return out;
}

function tone(t: Tone | string | undefined): 'neutral' | 'info' | 'success' | 'warning' | 'danger' {
  return t === 'info' || t === 'success' || t === 'warning' || t === 'danger' ? t : 'neutral';
}

function variant(style: string): 'primary' | 'danger' | 'secondary' {
  return style === 'primary' ? 'primary' : style === 'danger' ? 'danger' : 'secondary';
}

function BlockView({
  block,
  index,
  pressing,
  onPress,
  onSubmitForm,
  groupId,
}: {
  block: CardBlock;
  index: number;
  pressing: string | null;
  onPress: (b: CardButton, key: string) => void;
  onSubmitForm: (block: FormBlock, values: Values) => Promise<void>;
  groupId?: string;
}) {
  switch (block.type) {
    case 'text':
      return (
        <p class="pc-text" style={{ margin: 0 }}>
          <Linkified text={block.text} />
        </p>
      );
    case 'fields':
      return (
        <dl class="pc-fields">
          {block.fields.map((f, i) => (
            <div key={i}>
              <dt>{f.label}</dt>
              <dd>{f.value || '—'}</dd>
            </div>
          ))}
        </dl>
      );
    case 'table':
      return (
        <div class="table-wrap pc-table">
          <table class="table">
            <thead>
              <tr>
                {block.columns.map((c, i) => (
                  <th key={i}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {block.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((cell, c) => (
                    <td key={c}>{cell}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    case 'image':
      // The host only stores http(s) URLs; checked again so nothing else becomes a link.
      // The image is not fetched by the page: a plugin's card would otherwise tell any
      // server it names who reads it and when (the page's CSP allows images only from
      // the host). The reader opens it in a tab of its own if they choose.
      return /^https?:\/\//i.test(block.url) ? (
        <a class="pc-image-link" href={block.url} target="_blank" rel="noopener noreferrer nofollow">
          🖼 {t('image')} · {hostOf(block.url)}
        </a>
      ) : null;
    case 'buttons':
      return (
        <div class="pc-buttons">
          {block.buttons.map((b, i) => {
            const key = `${index}:${i}`;
            return (
              <Button key={key} small variant={variant(b.style)} busy={pressing === key} disabled={pressing !== null && pressing !== key} onClick={() => onPress(b, key)}>
                {b.label}
              </Button>
            );
          })}
        </div>
      );
    case 'divider':
      return <hr class="pc-divider" />;
    case 'people':
      return (
        <div class="pc-people">
          {block.people.map((p) => (
            <button type="button" key={p.id} class="pc-person" onClick={() => openProfile(p.id)}>
              <Avatar id={p.id} name={p.display_name} size={22} />
              <span>{p.display_name}</span>
            </button>
          ))}
        </div>
      );
    case 'timeline':
      return (
        <ol class="pc-timeline">
          {block.entries.map((e, i) => (
            <li key={i}>
              <span class={`pc-dot tone-${tone(e.tone)}`} aria-hidden="true" />
              <div class="pc-tl-head">
                <span class="pc-tl-title">{e.title}</span>
                {e.at_ms > 0 && (
                  <time class="pc-tl-time" dateTime={new Date(e.at_ms).toISOString()}>
                    {formatDateTime(e.at_ms)}
                  </time>
                )}
              </div>
              {e.detail && <div class="pc-tl-detail">{e.detail}</div>}
            </li>
          ))}
        </ol>
      );
    case 'form':
      return (
        <section class="pc-form" aria-label={block.form.title}>
          {block.form.title && <div class="pc-form-title">{block.form.title}</div>}
          {/* A changed form (the plugin updated the card) starts afresh; the same one keeps
              what the person typed. */}
          <PluginForm key={digest(block.form)} form={block.form} groupId={groupId} onSubmit={(values) => onSubmitForm(block, values)} />
        </section>
      );
    default:
      // A block kind this client does not know yet: skipped rather than shown broken.
      return null;
  }
}

/** A short fingerprint of a JSON value, for keys. */
function digest(v: unknown): string {
  const s = JSON.stringify(v);
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return `${s.length}:${h}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Text with its web addresses as links (opened apart from the app). */
function Linkified({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s<>"'）]*[^\s<>"'.,;:!?)\]}。，；：！？）])/);
  return (
    <>
      {parts.map((p, i) =>
        i % 2 ? (
          <a key={i} href={p} target="_blank" rel="noopener noreferrer">
            {p}
          </a>
        ) : (
          p
        ),
      )}
    </>
  );
}

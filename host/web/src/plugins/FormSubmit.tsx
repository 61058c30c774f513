// Submitting plugin forms, and what to do with the answer.
//
// Two kinds of form (host/src/app/plugins/surfaces.rs):
//   - a form on a stored card: `POST /api/v1/messages/{id}/form {form_id, values}`;
//   - a form handed to one person (a command's or button's answer, a page's form), with a
//     token binding it to them, the group and the plugin for 24 h:
//     `POST /api/v1/forms {token, form, values}`.
// Either answers a PluginReply, which may hand out the next form (a multi-step flow).

import { useState } from 'preact/hooks';
import { strings } from '../i18n';
import type { Message } from '../types';
import { Button, Modal, toast } from '../ui/kit';
import { submitIssuedForm } from './actions';
import { PluginForm } from './Form';
import type { FormSchema, IssuedForm, PluginReply } from './types';

export { submitCardForm, submitIssuedForm } from './actions';

const t = strings({
  form: ['Form', '表单'],
  onlyYou: ['Only you can see this', '仅你可见'],
  ok: ['OK', '好的'],
});

/** Wide dialogs for forms with tables or many fields. */
function wantsWide(form: FormSchema): boolean {
  return form.fields.some((f) => f.kind === 'table') || form.fields.length > 8;
}

/** A form handed to this person, in a dialog. `onReply` gets the plugin's answer. */
export function IssuedFormModal({ issued, groupId, onClose, onReply }: { issued: IssuedForm; groupId?: string; onClose: () => void; onReply: (reply: PluginReply) => void }) {
  return (
    <Modal title={issued.form.title || t('form')} onClose={onClose} wide={wantsWide(issued.form)}>
      <PluginForm
        form={issued.form}
        groupId={groupId}
        onCancel={onClose}
        onSubmit={async (values) => {
          onReply(await submitIssuedForm(issued, values));
        }}
      />
    </Modal>
  );
}

/** Text only the reader sees: a toast when short, a dialog when it would not fit one. */
export function isLongText(text: string): boolean {
  return text.length > 160 || text.split('\n').length > 3;
}

export function EphemeralModal({ text, onClose }: { text: string; onClose: () => void }) {
  return (
    <Modal title={t('onlyYou')} onClose={onClose}>
      <pre class="cr-text">{text}</pre>
      <div class="cr-actions">
        <Button variant="primary" onClick={onClose}>
          {t('ok')}
        </Button>
      </div>
    </Modal>
  );
}

export interface ReplyOptions {
  /** The message a reply posted or updated (it also arrives over the WebSocket). */
  onMessage?: (m: Message) => void;
  /** Text only this person sees; by default a toast, or a dialog when long. */
  onEphemeral?: (text: string) => void;
  /** After any reply: e.g. a page reloads, since the plugin's data changed. */
  onAfter?: () => void;
  /** For `department` fields of forms handed out. */
  groupId?: string;
  /** A form to show from the start (a command's answer). */
  initialForm?: IssuedForm | null;
}

/**
 * Handles plugin replies for a component: `handle(reply)` applies the updated message,
 * shows the ephemeral text and opens a handed-out form; render `dialog` somewhere. A form's
 * answer goes through `handle` again, so a plugin can lead through several forms.
 */
export function useReplies(opts: ReplyOptions) {
  const [issued, setIssued] = useState<IssuedForm | null>(opts.initialForm ?? null);
  const [note, setNote] = useState<string | null>(null);

  const handle = (reply: PluginReply | null | undefined) => {
    if (reply?.message) opts.onMessage?.(reply.message);
    if (reply?.ephemeral) {
      if (opts.onEphemeral) opts.onEphemeral(reply.ephemeral);
      else if (isLongText(reply.ephemeral)) setNote(reply.ephemeral);
      else toast(reply.ephemeral);
    }
    // The next form replaces the one just submitted; no form closes the dialog.
    setIssued(reply?.form ?? null);
    opts.onAfter?.();
  };

  const dialog = (
    <>
      {issued && <IssuedFormModal key={issued.token} issued={issued} groupId={opts.groupId} onClose={() => setIssued(null)} onReply={handle} />}
      {note !== null && <EphemeralModal text={note} onClose={() => setNote(null)} />}
    </>
  );
  /** Whether a dialog is open. */
  const active = issued !== null || note !== null;
  return { handle, dialog, active, openForm: setIssued };
}

// What the composer shows after a slash command ran: a form for this person in a dialog,
// text only they see (a toast, or a dialog when long), nothing for a posted message
// (it arrives in the timeline like any other).
//
//   const [outcome, setOutcome] = useState<CommandOutcome | null>(null);
//   try { setOutcome(await runCommand(group.id, text)); clearDraft(); }
//   catch (e) { toast(explain(e), 'error'); }            // keep the draft
//   {outcome && <CommandOutcomeView outcome={outcome} groupId={group.id} onClose={() => setOutcome(null)} />}

import { useEffect } from 'preact/hooks';
import { toast } from '../ui/kit';
import type { Message } from '../types';
import type { CommandOutcome } from './commands';
import { EphemeralModal, isLongText, useReplies } from './FormSubmit';

export function CommandOutcomeView({
  outcome,
  groupId,
  onClose,
  onMessage,
}: {
  outcome: CommandOutcome;
  groupId?: string;
  /** Called once the outcome has been shown (at once for a toast or a posted message). */
  onClose: () => void;
  /** A message the command (or the form it handed out) posted or updated. */
  onMessage?: (m: Message) => void;
}) {
  if (outcome.kind === 'form') return <CommandForm key={outcome.form.token} outcome={outcome} groupId={groupId} onClose={onClose} onMessage={onMessage} />;
  if (outcome.kind === 'ephemeral' && isLongText(outcome.text)) return <EphemeralModal text={outcome.text} onClose={onClose} />;
  return <Immediate key={outcome.kind === 'message' ? outcome.message.id : outcome.kind} outcome={outcome} onClose={onClose} onMessage={onMessage} />;
}

/** The same, under the name the brief used. */
export const CommandResult = CommandOutcomeView;

/** Outcomes that need no dialog: handled once, then closed. */
function Immediate({ outcome, onClose, onMessage }: { outcome: CommandOutcome; onClose: () => void; onMessage?: (m: Message) => void }) {
  useEffect(() => {
    if (outcome.kind === 'ephemeral') toast(outcome.text);
    if (outcome.kind === 'message') onMessage?.(outcome.message);
    onClose();
  }, [outcome]);
  return null;
}

function CommandForm({ outcome, groupId, onClose, onMessage }: { outcome: Extract<CommandOutcome, { kind: 'form' }>; groupId?: string; onClose: () => void; onMessage?: (m: Message) => void }) {
  // The command's form opens at once; its answer may open the next form, or a long note.
  const replies = useReplies({ onMessage, groupId, initialForm: outcome.form });
  useEffect(() => {
    if (!replies.active) onClose();
  }, [replies.active]);
  return replies.dialog;
}

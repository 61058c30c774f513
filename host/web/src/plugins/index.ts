// Plugin surfaces of the web client: what the rest of the app uses.

export { PluginCard, CardView, type CardOps } from './Card';
export { PluginForm, type PluginFormProps } from './Form';
export { IssuedFormModal, EphemeralModal, useReplies, submitCardForm, submitIssuedForm } from './FormSubmit';
export { PluginPage, listPages, type PageLink } from './PluginPage';
export { loadCommands, invalidateCommands, matchCommands, commandName, runCommand, type CommandOutcome } from './commands';
export { CommandOutcomeView, CommandResult } from './CommandOutcome';
export { explain } from './errors';
export { pluginName } from './names';
export type { Card, CardBlock, FormSchema, FormField, IssuedForm, PluginReply, FieldError, PageView } from './types';

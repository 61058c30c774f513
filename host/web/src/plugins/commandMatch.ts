// Slash-command autocomplete, apart from the network so it can be tested on its own.
// The host matches a command by its exact name: the text up to the first blank after `/`
// (host/src/app/plugins.rs `run_command`).

import type { Command } from '../types';

/** The command name in what was typed (`/roll 20` → `roll`), or null when not a command. */
export function commandName(typed: string): string | null {
  const text = typed.trim();
  if (!text.startsWith('/')) return null;
  const name = text.slice(1).split(/\s/, 1)[0];
  return name || null;
}

/**
 * Commands for what the person has typed so far:
 * - `/` alone: every command, by name;
 * - `/ro`: names starting with `ro`, then (from two characters on) names containing it,
 *   then commands whose description mentions it (in either language);
 * - `/roll 2…` (arguments begun): the command itself, so its usage can be shown.
 * Anything not starting with `/` matches nothing.
 */
export function matchCommands(cmds: Command[], typed: string): Command[] {
  const text = typed.replace(/^\s+/, '');
  if (!text.startsWith('/')) return [];
  const rest = text.slice(1);
  const blank = rest.search(/\s/);
  if (blank >= 0) {
    const name = rest.slice(0, blank);
    return cmds.filter((c) => c.name === name);
  }
  const q = rest.toLowerCase();
  const byName = (a: Command, b: Command) => a.name.length - b.name.length || a.name.localeCompare(b.name);
  if (!q) return [...cmds].sort((a, b) => a.name.localeCompare(b.name));
  const starts = cmds.filter((c) => c.name.toLowerCase().startsWith(q)).sort(byName);
  // One letter inside a name or a description matches too much to help.
  if (q.length < 2) return starts;
  const contains = cmds.filter((c) => !c.name.toLowerCase().startsWith(q) && c.name.toLowerCase().includes(q)).sort(byName);
  const described = cmds
    .filter((c) => !c.name.toLowerCase().includes(q))
    .filter((c) => `${c.description?.en ?? ''} ${c.description?.['zh-CN'] ?? ''}`.toLowerCase().includes(q))
    .sort(byName);
  return [...starts, ...contains, ...described];
}

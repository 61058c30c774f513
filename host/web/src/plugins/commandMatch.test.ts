// Slash-command autocomplete: what the composer offers for what was typed.

import { describe, expect, it } from 'vitest';
import type { Command } from '../types';
import { commandName, matchCommands } from './commandMatch';

const cmd = (name: string, en = '', zh = ''): Command => ({ plugin_id: 'p', name, usage: `/${name}`, description: { en, 'zh-CN': zh } });
const cmds = [cmd('roll', 'Roll a die', '掷骰子'), cmd('approve', 'Start an approval', '发起审批'), cmd('leave', 'Ask for leave', '请假'), cmd('form', 'Forms', '表单'), cmd('reform')];
const names = (typed: string) => matchCommands(cmds, typed).map((c) => c.name);

describe('matchCommands', () => {
  it('offers every command for a bare slash', () => {
    expect(names('/')).toEqual(['approve', 'form', 'leave', 'reform', 'roll']);
  });

  it('puts names starting with what was typed first', () => {
    expect(names('/r')).toEqual(['roll', 'reform']);
    // …then names containing it, then descriptions ("Ask for leave").
    expect(names('/FO')).toEqual(['form', 'reform', 'leave']);
  });

  it('finds commands by their description, in either language', () => {
    expect(names('/die')).toEqual(['roll']);
    expect(names('/审批')).toEqual(['approve']);
  });

  it('narrows to the command once arguments begin', () => {
    expect(names('/roll 20')).toEqual(['roll']);
    expect(names('/rol 20')).toEqual([]);
  });

  it('matches nothing that is not a command', () => {
    expect(names('hello /roll')).toEqual([]);
    expect(names('')).toEqual([]);
  });
});

describe('commandName', () => {
  it('reads the name as the host does', () => {
    expect(commandName('  /roll 20')).toBe('roll');
    expect(commandName('/expense\nmore')).toBe('expense');
    expect(commandName('/')).toBeNull();
    expect(commandName('roll')).toBeNull();
  });
});

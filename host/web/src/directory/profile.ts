// Opening a person's profile card from anywhere: a message, a mention, a card, a form, a
// plugin's record. The card itself is rendered once, by the shell.

import { signal } from '@preact/signals';

export const openProfileId = signal<string | null>(null);

export function openProfile(personId: string) {
  openProfileId.value = personId;
}

export function closeProfile() {
  openProfileId.value = null;
}

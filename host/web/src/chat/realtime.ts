// The event stream: one WebSocket per tab, reconnected with backoff, resumed from the
// last event seen (`?since=`), so nothing is missed or applied twice.

import { signal } from '@preact/signals';
import type { ServerEvent } from '../types';
import { applyEvent, resyncAll } from './store';

export type ConnState = 'connecting' | 'online' | 'offline';
export const connection = signal<ConnState>('connecting');

let socket: WebSocket | null = null;
let lastSeq: number | null = null;
let retry = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
let stopped = true;
/** Listeners beyond the store (e.g. typing a card update into an open dialog). */
const listeners = new Set<(e: ServerEvent) => void>();

export function onEvent(f: (e: ServerEvent) => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

export function startRealtime() {
  stopped = false;
  connect();
  window.addEventListener('online', reconnectNow);
  document.addEventListener('visibilitychange', onVisible);
}

export function stopRealtime() {
  stopped = true;
  if (timer) clearTimeout(timer);
  socket?.close(1000);
  socket = null;
  lastSeq = null;
  window.removeEventListener('online', reconnectNow);
  document.removeEventListener('visibilitychange', onVisible);
}

function onVisible() {
  if (document.visibilityState === 'visible' && (!socket || socket.readyState > WebSocket.OPEN)) reconnectNow();
}

function reconnectNow() {
  if (stopped) return;
  if (timer) clearTimeout(timer);
  retry = 0;
  if (!socket || socket.readyState > WebSocket.OPEN) connect();
}

function connect() {
  if (stopped) return;
  connection.value = 'connecting';
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const since = lastSeq !== null ? `?since=${lastSeq}` : '';
  const ws = new WebSocket(`${proto}//${location.host}/api/v1/ws${since}`);
  socket = ws;
  ws.onmessage = (msg) => {
    let frame: any;
    try {
      frame = JSON.parse(msg.data);
    } catch {
      return;
    }
    if (frame.type === 'hello') {
      connection.value = 'online';
      retry = 0;
      if (lastSeq === null) lastSeq = frame.head;
      return;
    }
    if (frame.type === 'resync_required') {
      lastSeq = frame.head;
      void resyncAll();
      return;
    }
    if (typeof frame.seq !== 'number') return;
    if (lastSeq !== null && frame.seq <= lastSeq) return;
    lastSeq = frame.seq;
    applyEvent(frame as ServerEvent, document.hasFocus());
    for (const f of listeners) f(frame as ServerEvent);
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    if (stopped) return;
    connection.value = 'offline';
    // 0.5 s, 1 s, 2 s … up to 15 s, with jitter so a restarted server is not stormed.
    const delay = Math.min(15000, 500 * 2 ** retry) * (0.7 + Math.random() * 0.6);
    retry = Math.min(retry + 1, 6);
    timer = setTimeout(connect, delay);
  };
  ws.onerror = () => ws.close();
}

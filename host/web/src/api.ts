// The one place the client talks HTTP to the host: the public REST API, the same one
// third parties use. Errors arrive as `{code, message}` (some with `message_zh`).

import { lang } from './i18n';

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public messageZh?: string,
    public body?: any,
  ) {
    super(message);
  }

  /** The message in the interface language, when the server gave one. */
  localized(): string {
    return lang.value === 'zh-CN' && this.messageZh ? this.messageZh : this.message;
  }
}

let csrfToken: string | null = null;

export function setCsrf(token: string | null) {
  csrfToken = token;
}

/** Called when any request answers 401: the session ended elsewhere. */
let onUnauthenticated: () => void = () => {};
export function whenSignedOut(f: () => void) {
  onUnauthenticated = f;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

export async function request<T = any>(
  method: string,
  path: string,
  body?: unknown,
  init: { query?: Query; raw?: BodyInit; contentType?: string; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'accept-language': lang.value,
  };
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let payload: BodyInit | undefined;
  if (init.raw !== undefined) {
    payload = init.raw;
    if (init.contentType) headers['content-type'] = init.contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(withQuery(path, init.query), {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
      signal: init.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'The server cannot be reached', '无法连接服务器');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: any = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/api/v1/auth/login')) onUnauthenticated();
    const code = (data && data.code) || `http_${res.status}`;
    const message = (data && data.message) || res.statusText || 'Request failed';
    throw new ApiError(res.status, code, message, data?.message_zh, data);
  }
  return data as T;
}

export const api = {
  get: <T = any>(path: string, query?: Query, signal?: AbortSignal) =>
    request<T>('GET', path, undefined, { query, signal }),
  post: <T = any>(path: string, body?: unknown, query?: Query) =>
    request<T>('POST', path, body, { query }),
  put: <T = any>(path: string, body?: unknown) => request<T>('PUT', path, body),
  patch: <T = any>(path: string, body?: unknown) => request<T>('PATCH', path, body),
  del: <T = any>(path: string) => request<T>('DELETE', path),
  upload: <T = any>(file: File) =>
    request<T>('POST', '/api/v1/files', undefined, {
      query: { name: file.name },
      raw: file,
      contentType: 'application/octet-stream',
    }),
};

/** A client transaction id, so a retried post is the same message. */
export function txnId(): string {
  return crypto.randomUUID();
}

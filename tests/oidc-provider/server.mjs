// Minimal local OpenID Connect provider for Courtyard integration tests.
//
// Configuration (environment variables, or `--port=`, `--clients=`,
// `--accounts=` command line arguments which take precedence):
//   PORT      TCP port on 127.0.0.1 (0 = pick a free port; default 0)
//   CLIENTS   JSON array of {client_id, client_secret, redirect_uris: [...]}
//   ACCOUNTS  JSON array of {sub, email, email_verified, name}
//
// Once listening, exactly one line is printed to stdout:
//   LISTENING http://127.0.0.1:<port>
// which is also the issuer. Everything else (diagnostics, provider notices)
// goes to stderr.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import Provider from 'oidc-provider';

// oidc-provider prints notices with console.info (stdout); keep stdout clean
// for the single LISTENING line.
console.info = (...args) => console.error(...args);
console.log = (...args) => console.error(...args);

function arg(name) {
  const prefix = `--${name}=`;
  const found = process.argv.slice(2).find((a) => a.startsWith(prefix));
  return found === undefined ? undefined : found.slice(prefix.length);
}

function parseJsonArray(name, raw) {
  if (raw === undefined || raw === '') return [];
  let value;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${name} is not valid JSON: ${err.message}`);
  }
  if (!Array.isArray(value)) throw new Error(`${name} must be a JSON array`);
  return value;
}

const portRaw = arg('port') ?? process.env.PORT ?? '0';
const port = Number.parseInt(portRaw, 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`invalid PORT: ${portRaw}`);
}
const clientsConfig = parseJsonArray('CLIENTS', arg('clients') ?? process.env.CLIENTS);
const accounts = parseJsonArray('ACCOUNTS', arg('accounts') ?? process.env.ACCOUNTS);

const clients = clientsConfig.map((c) => ({
  client_id: String(c.client_id),
  client_secret: String(c.client_secret),
  redirect_uris: c.redirect_uris,
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: 'RS256',
}));

const accountsBySub = new Map(accounts.map((a) => [String(a.sub), a]));
const accountsByEmail = new Map(accounts.map((a) => [String(a.email).toLowerCase(), a]));

// Signing key: a fresh RS256 key per process, exported as JWK.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = {
  ...privateKey.export({ format: 'jwk' }),
  kid: crypto.randomBytes(8).toString('hex'),
  alg: 'RS256',
  use: 'sig',
};

const SCOPE = 'openid email profile';

const server = http.createServer();

server.listen(port, '127.0.0.1', () => {
  const actualPort = server.address().port;
  const issuer = `http://127.0.0.1:${actualPort}`;
  const provider = createProvider(issuer);
  const callback = provider.callback();

  server.on('request', (req, res) => {
    handle(provider, callback, req, res).catch((err) => {
      console.error('request handling failed:', err);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end(`internal error: ${err.message}\n`);
      } else {
        res.end();
      }
    });
  });

  process.stdout.write(`LISTENING ${issuer}\n`);
});

server.on('error', (err) => {
  console.error('server error:', err);
  process.exit(1);
});

function createProvider(issuer) {
  const provider = new Provider(issuer, {
    clients,
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    responseTypes: ['code'],
    scopes: ['openid', 'email', 'profile'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // Put scope-requested claims (email, name) into the ID token as well,
    // not only into the userinfo response.
    conformIdTokenClaims: false,
    pkce: {
      methods: ['S256'],
      required: () => true,
    },
    jwks: { keys: [signingJwk] },
    cookies: {
      keys: ['courtyard-test-oidc-cookie-key'],
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    async findAccount(_ctx, sub) {
      const account = accountsBySub.get(String(sub));
      if (!account) return undefined;
      return {
        accountId: String(account.sub),
        async claims() {
          return {
            sub: String(account.sub),
            email: account.email,
            email_verified: Boolean(account.email_verified),
            name: account.name,
          };
        },
      };
    },
    async renderError(ctx, out, _error) {
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = `${Object.entries(out).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
    },
  });

  for (const event of [
    'server_error',
    'authorization.error',
    'grant.error',
    'userinfo.error',
    'introspection.error',
    'revocation.error',
    'end_session.error',
    'jwks.error',
    'discovery.error',
  ]) {
    provider.on(event, (...args) => {
      const err = args.find((a) => a instanceof Error);
      console.error(`[${event}]`, err ? `${err.name}: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}${err.error_detail ? ` [${err.error_detail}]` : ''}` : args);
    });
  }

  return provider;
}

async function handle(provider, callback, req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  let m;
  if ((m = url.pathname.match(/^\/interaction\/([^/]+)$/)) && req.method === 'GET') {
    return interactionPage(provider, req, res, m[1]);
  }
  if ((m = url.pathname.match(/^\/interaction\/([^/]+)\/login$/)) && req.method === 'POST') {
    return interactionLogin(provider, req, res, m[1]);
  }
  return callback(req, res);
}

function sendText(res, status, text) {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(`${text}\n`);
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function loadInteraction(provider, req, res, uid) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    console.error('interaction lookup failed:', err.name, err.message);
    sendText(res, 400, `interaction not found or expired: ${err.message}`);
    return undefined;
  }
  if (details.uid !== uid) {
    sendText(res, 400, 'interaction uid mismatch');
    return undefined;
  }
  return details;
}

// Creates (or extends) the Grant so that no consent prompt follows, then
// finishes the interaction (303 redirect back to the authorization endpoint).
async function finish(provider, req, res, details, accountId) {
  const { params, prompt } = details;
  let grant;
  if (details.grantId) {
    grant = await provider.Grant.find(details.grantId);
  }
  if (!grant) {
    grant = new provider.Grant({ accountId, clientId: params.client_id });
  }
  grant.addOIDCScope(params.scope ? String(params.scope) : SCOPE);
  const missingClaims = prompt?.details?.missingOIDCClaims;
  if (Array.isArray(missingClaims) && missingClaims.length) {
    grant.addOIDCClaims(missingClaims);
  }
  const missingResourceScopes = prompt?.details?.missingResourceScopes;
  if (missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();

  const result = { consent: { grantId } };
  if (prompt?.name === 'login' || !details.session) {
    result.login = { accountId };
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

async function interactionPage(provider, req, res, uid) {
  const details = await loadInteraction(provider, req, res, uid);
  if (!details) return;

  if (details.prompt.name === 'consent' && details.session?.accountId) {
    // Already logged in: grant consent right away.
    await finish(provider, req, res, details, details.session.accountId);
    return;
  }

  const safeUid = escapeHtml(uid);
  res.statusCode = 200;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(`<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Test OIDC sign-in</title></head>
<body>
<h1>Sign in</h1>
<p>Client: ${escapeHtml(details.params.client_id)}</p>
<form method="post" action="/interaction/${safeUid}/login">
<input type="email" name="login" placeholder="email" autofocus required>
<button type="submit">Sign in</button>
</form>
</body>
</html>
`);
}

async function readBody(req, limit = 64 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function interactionLogin(provider, req, res, uid) {
  const body = new URLSearchParams(await readBody(req));
  const details = await loadInteraction(provider, req, res, uid);
  if (!details) return;

  let accountId;
  if (details.prompt.name === 'login') {
    const login = (body.get('login') || '').trim().toLowerCase();
    const account = accountsByEmail.get(login);
    if (!account) {
      sendText(res, 400, `unknown account: ${login}`);
      return;
    }
    accountId = String(account.sub);
  } else if (details.prompt.name === 'consent' && details.session?.accountId) {
    accountId = details.session.accountId;
  } else {
    sendText(res, 400, `unsupported prompt: ${details.prompt.name}`);
    return;
  }

  await finish(provider, req, res, details, accountId);
}

function shutdown(signal) {
  console.error(`received ${signal}, shutting down`);
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

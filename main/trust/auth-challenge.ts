// The registry's WWW-Authenticate challenge (RFC 7235 auth-params) and the token server's answer,
// both parsed strictly: they come from the network and steer where credentials go.

export interface AuthChallenge {
  readonly scheme: 'bearer' | 'basic';
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/;

/** The first Bearer or Basic challenge in a header value; undefined when there is none. */
export function parseAuthChallenge(header: string | null | undefined): AuthChallenge | undefined {
  if (!header || header.length > 8192) return undefined;
  const match = /^\s*(bearer|basic)\s+/i.exec(header);
  if (!match) return undefined;
  const scheme = (match[1] as string).toLowerCase() as 'bearer' | 'basic';
  const params: Record<string, string> = {};
  let rest = header.slice(match[0].length);
  // key=value or key="quoted \" value", separated by commas.
  const param = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/;
  while (rest.trim().length > 0) {
    const m = param.exec(rest);
    if (!m) break;
    const key = (m[1] as string).toLowerCase();
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    if (!(key in params)) params[key] = value;
    rest = rest.slice(m[0].length);
  }
  return { scheme, params };
}

export interface IssuedToken {
  readonly token: string;
  /** When to stop using it (ms since epoch); registries that give no expiry get 60 s. */
  readonly expiresAt: number;
}

/** The token server's JSON: `token` or `access_token`, optional `expires_in` seconds. */
export function parseTokenResponse(body: unknown, now: number = Date.now()): IssuedToken | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const token = typeof b.token === 'string' && b.token !== '' ? b.token : b.access_token;
  if (typeof token !== 'string' || token.length === 0 || token.length > 16 * 1024 || !TOKEN68.test(token)) return undefined;
  const expiresIn = typeof b.expires_in === 'number' && Number.isFinite(b.expires_in) && b.expires_in >= 60 ? b.expires_in : 60;
  // Renew a little early so a token does not expire between check and use.
  return { token, expiresAt: now + Math.min(expiresIn, 3600) * 1000 - 10_000 };
}

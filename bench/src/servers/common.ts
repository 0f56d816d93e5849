import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoadPlan, ServerConfig } from '../protocol.js';

/** A benchmark server: a `node:http` request listener plus the request stream that drives it. */
export interface BenchTarget {
  listener: (request: IncomingMessage, response: ServerResponse) => void;
  /** Built once the server knows its port (some contenders put the issuer URL in their config). */
  plan: LoadPlan;
  close(): Promise<void>;
  /**
   * Cumulative CPU time, in microseconds, of helper processes doing this server's work (the
   * PostgreSQL backends of its pool), so a store's cost outside Node is reported too.
   */
  helperCpuMicros?: () => Promise<number>;
  /** The worst-case scenario's corpus (see `servers/worst-case.ts`). */
  cases?: import('../protocol.js').HostileCase[];
}

/** Builds one contender from the shared configuration. */
export type TargetFactory = (config: ServerConfig) => Promise<BenchTarget>;

/** Largest request body any bench server reads (the same limit Passport's handler applies). */
export const BODY_LIMIT = 64 * 1024;

/** Reads the whole request body as UTF-8, refusing more than {@link BODY_LIMIT} bytes. */
export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reject(new RangeError('body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Client id and secret from an HTTP Basic `Authorization` header (RFC 6749 section 2.3.1). */
export function parseBasicAuthorization(header: string | undefined): { id: string; secret: string } | null {
  if (header === undefined || !header.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon)),
      secret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  } catch {
    return null;
  }
}

/** `Authorization: Basic ...` for a client, with the RFC 6749 section 2.3.1 form-encoding. */
export function basicAuthorization(client: { id: string; secret: string }): string {
  const encode = (v: string) => encodeURIComponent(v);
  return `Basic ${Buffer.from(`${encode(client.id)}:${encode(client.secret)}`).toString('base64')}`;
}

/** SHA-256 of a secret, as every contender stores it. */
export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time check of a presented secret against a stored SHA-256. */
export function secretMatches(presented: string, storedHash: Buffer): boolean {
  return timingSafeEqual(sha256(presented), storedHash);
}

/** Writes a JSON response with the token endpoint's caching headers. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    pragma: 'no-cache',
  });
  response.end(text);
}

/** The form body of a client_credentials token request every contender receives. */
export const CLIENT_CREDENTIALS_BODY = 'grant_type=client_credentials&scope=read';

/** The token request plan shared by the floor and the peers. */
export function clientCredentialsPlan(config: ServerConfig, path: string): LoadPlan {
  return {
    method: 'POST',
    path,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuthorization(config.client),
    },
    body: CLIENT_CREDENTIALS_BODY,
  };
}

/** The request's headers as a plain string map (repeated headers joined with `, `). */
export function flatHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

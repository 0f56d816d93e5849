/// <reference types="node" />
/**
 * `@passport/http/node`: serve a Fetch handler with `node:http` (or `node:https`, `http2` compat).
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defaultMaxBodyBytes } from './internal/body.js';

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /**
   * Largest accepted request body in bytes: a bigger `Content-Length` is refused at once, and a
   * body that grows past it while streaming is cut off; both answer `413`.
   * @default 65536
   */
  maxBodyBytes?: number;
  /**
   * Build the request URL from `X-Forwarded-Proto` / `X-Forwarded-Host` (only behind a proxy you
   * trust).
   * @default false
   */
  trustProxy?: boolean;
  /** Called when the handler throws or the response cannot be written. */
  onError?: (error: unknown) => void;
}

class BodyTooLargeError extends Error {
  readonly code = 'ERR_BODY_TOO_LARGE';
  constructor(limit: number) {
    super(`The request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function requestUrl(req: IncomingMessage, trustProxy: boolean): string {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  let protocol = encrypted ? 'https' : 'http';
  let host = first(req.headers.host) ?? 'localhost';
  if (trustProxy) {
    protocol = first(req.headers['x-forwarded-proto'])?.split(',')[0]?.trim() || protocol;
    host = first(req.headers['x-forwarded-host'])?.split(',')[0]?.trim() || host;
  }
  return `${protocol}://${host}${req.url ?? '/'}`;
}

function tooLargeResponse(limit: number): Response {
  return new Response(
    JSON.stringify({
      error: 'invalid_request',
      error_description: `The request body exceeds ${limit} bytes`,
    }),
    {
      status: 413,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        pragma: 'no-cache',
        connection: 'close',
      },
    },
  );
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
        if (res.destroyed) break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  res.end();
}

/**
 * Adapts a Fetch handler (such as `createPassportHandler(...)`) to a `node:http` request
 * listener. The body is streamed into the `Request` (never buffered whole by the adapter), and the
 * size limit is enforced while streaming: past `maxBodyBytes` the stream errors and the client
 * gets `413`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { toNodeListener } from '@passport/http/node';
 *
 * createServer(toNodeListener(handler)).listen(3000);
 * ```
 */
export function toNodeListener(
  handler: (request: Request) => Response | Promise<Response>,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const limit = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const trustProxy = options.trustProxy ?? false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const declared = first(req.headers['content-length']);
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
      req.resume();
      await writeResponse(res, tooLargeResponse(limit));
      return;
    }
    const method = req.method ?? 'GET';
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] as string;
      if (name.startsWith(':')) continue; // HTTP/2 pseudo-headers
      headers.append(name, req.rawHeaders[i + 1] as string);
    }
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });

    let tooLarge = false;
    let body: ReadableStream<Uint8Array> | null = null;
    if (method !== 'GET' && method !== 'HEAD') {
      const chunks = req[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
      let total = 0;
      body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await chunks.next();
          if (done) {
            controller.close();
            return;
          }
          total += value.byteLength;
          if (total > limit) {
            tooLarge = true;
            controller.error(new BodyTooLargeError(limit));
            req.pause();
            return;
          }
          controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        },
        async cancel() {
          await chunks.return?.();
        },
      });
    }
    const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: abort.signal };
    if (body !== null) {
      init.body = body;
      init.duplex = 'half';
    }
    let request: Request;
    try {
      request = new Request(requestUrl(req, trustProxy), init);
    } catch {
      req.resume();
      await writeResponse(
        res,
        new Response(
          JSON.stringify({ error: 'invalid_request', error_description: 'Malformed request URL' }),
          {
            status: 400,
            headers: {
              'content-type': 'application/json; charset=utf-8',
              'cache-control': 'no-store',
              pragma: 'no-cache',
            },
          },
        ),
      );
      return;
    }
    let response = await handler(request);
    if (tooLarge) response = tooLargeResponse(limit);
    await writeResponse(res, response);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.onError?.(error);
      if (!res.headersSent) {
        res.writeHead(500, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          pragma: 'no-cache',
        });
        res.end(
          JSON.stringify({
            error: 'server_error',
            error_description: 'The server encountered an unexpected condition',
          }),
        );
      } else {
        res.destroy();
      }
    });
  };
}

import { toNodeListener } from '@passport/http/node';
import type { ServerConfig } from '../protocol.js';
import { type BenchTarget, clientCredentialsPlan, readBody, sendJson } from './common.js';

/**
 * Diagnostic: the token request's HTTP work without any OAuth work. Bare `node:http` reads the
 * form, parses it and answers a small JSON body. Against {@link createFetchAdapterTarget} it gives
 * the fixed per-request cost of serving a Fetch handler on Node.
 */
export async function createBareHttpTarget(config: ServerConfig): Promise<BenchTarget> {
  const listener: BenchTarget['listener'] = (request, response) => {
    void readBody(request)
      .then((body) => {
        const params = new URLSearchParams(body);
        sendJson(response, 200, { grant_type: params.get('grant_type'), scope: params.get('scope') });
      })
      .catch(() => sendJson(response, 500, { error: 'server_error' }));
  };
  return { listener, plan: clientCredentialsPlan(config, '/token'), close: async () => {} };
}

/**
 * Diagnostic: the same work as {@link createBareHttpTarget} in a Fetch handler served by
 * `@passport/http/node`'s `toNodeListener` (what every Passport scenario goes through): a
 * `Request` is built from the Node request, the handler reads `request.text()` and returns a
 * `Response`, which is written back.
 */
export async function createFetchAdapterTarget(config: ServerConfig): Promise<BenchTarget> {
  const listener = toNodeListener(async (request) => {
    const params = new URLSearchParams(await request.text());
    return new Response(
      JSON.stringify({ grant_type: params.get('grant_type'), scope: params.get('scope') }),
      {
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
      },
    );
  });
  return { listener, plan: clientCredentialsPlan(config, '/token'), close: async () => {} };
}

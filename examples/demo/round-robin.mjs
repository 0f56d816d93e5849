#!/usr/bin/env node
// @ts-check
/**
 * A small round-robin HTTP proxy for trying the demo as several instances behind one origin:
 *
 *   node examples/demo/round-robin.mjs 8000 http://127.0.0.1:8001 http://127.0.0.1:8002
 *
 * listens on 127.0.0.1:8000 and sends each request to the next instance in turn (a request whose
 * instance refuses the connection goes to the next one). It adds `X-Forwarded-For`,
 * `X-Forwarded-Host` and `X-Forwarded-Proto`, and answers with `X-Served-By: <instance>` so you
 * can watch the turns. A demonstration, not a production load balancer (no health checks, no
 * TLS, no limits): use nginx, Caddy, HAProxy or your platform's balancer for real traffic.
 * @module
 */
import { createServer, request } from 'node:http';
import { pathToFileURL } from 'node:url';

/**
 * @typedef {object} RoundRobin
 * @property {string} url  where the proxy listens, e.g. http://127.0.0.1:8000
 * @property {() => Promise<void>} close
 */

/** Hop-by-hop headers (RFC 9110 section 7.6.1): never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * @param {import('node:http').IncomingHttpHeaders} headers
 * @returns {Record<string, string | string[]>}
 */
function endToEnd(headers) {
  /** @type {Record<string, string | string[]>} */
  const kept = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

/**
 * Starts the proxy.
 * @param {{ port: number; host?: string; upstreams: string[] }} options  `port` 0 picks a free one
 * @returns {Promise<RoundRobin>}
 * @example
 * const proxy = await startRoundRobin({ port: 8000, upstreams: ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'] });
 */
export async function startRoundRobin(options) {
  const upstreams = options.upstreams.map((value) => new URL(value));
  if (upstreams.length === 0 || upstreams.some((url) => url.protocol !== 'http:')) {
    throw new TypeError('round-robin: give one or more http:// instances, e.g. http://127.0.0.1:8001');
  }
  const host = options.host ?? '127.0.0.1';
  let next = 0;

  const server = createServer((incoming, outgoing) => {
    // The body is read once and kept, so a request can go to the next instance when one is down.
    /** @type {Buffer[]} */
    const chunks = [];
    incoming.on('data', (chunk) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const first = next;
      next = (next + 1) % upstreams.length;
      send(first, 0, body);
    });

    /**
     * @param {number} index  the instance to try
     * @param {number} tried  instances that refused the connection so far
     * @param {Buffer} body
     */
    function send(index, tried, body) {
      const upstream = /** @type {URL} */ (upstreams[index]);
      const headers = endToEnd(incoming.headers);
      const forwardedFor = incoming.headers['x-forwarded-for'];
      headers['x-forwarded-for'] = [forwardedFor, incoming.socket.remoteAddress ?? '']
        .filter(Boolean)
        .join(', ');
      headers['x-forwarded-host'] = incoming.headers.host ?? '';
      headers['x-forwarded-proto'] = 'http';
      headers['content-length'] = String(body.length);
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, {
            ...endToEnd(answer.headers),
            'x-served-by': upstream.host,
          });
          answer.pipe(outgoing);
        },
      );
      forward.on('error', (error) => {
        const refused = /** @type {NodeJS.ErrnoException} */ (error).code === 'ECONNREFUSED';
        if (refused && tried + 1 < upstreams.length && !outgoing.headersSent) {
          send((index + 1) % upstreams.length, tried + 1, body);
          return;
        }
        if (!outgoing.headersSent) {
          outgoing.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
          outgoing.end(`round-robin: ${upstream.host} did not answer (${error.message})\n`);
        } else {
          outgoing.destroy();
        }
      });
      forward.end(body);
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [portText, ...upstreams] = process.argv.slice(2);
  const port = Number(portText);
  if (!/^[0-9]{1,5}$/.test(portText ?? '') || port > 65_535 || upstreams.length === 0) {
    console.error(
      'usage: node round-robin.mjs <port> <instance URL> [<instance URL> ...]\n' +
        '  e.g. node examples/demo/round-robin.mjs 8000 http://127.0.0.1:8001 http://127.0.0.1:8002',
    );
    process.exit(1);
  }
  try {
    const proxy = await startRoundRobin({ port, upstreams });
    console.log(`round-robin proxy on ${proxy.url} -> ${upstreams.join(', ')}`);
    for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
      process.once(signal, () => {
        proxy.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    }
  } catch (error) {
    console.error(`round-robin: cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

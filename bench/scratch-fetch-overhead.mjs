// Scratch (not shipped): CPU per request of a trivial POST handler, bare node:http vs Fetch handler via toNodeListener.
import { createServer } from 'node:http';
import { toNodeListener } from '@passport/http/node';
const mode = process.argv[2];
const bare = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const params = new URLSearchParams(Buffer.concat(chunks).toString());
    const body = JSON.stringify({ ok: params.get('grant_type') });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
};
const fetchHandler = toNodeListener(async (request) => {
  const params = new URLSearchParams(await request.text());
  return new Response(JSON.stringify({ ok: params.get('grant_type') }), { headers: { 'content-type': 'application/json' } });
});
let n = 0;
const server = createServer((req, res) => { res.on('finish', () => n++); (mode === 'bare' ? bare : fetchHandler)(req, res); });
server.listen(0, '127.0.0.1', async () => {
  const { default: autocannon } = await import('autocannon');
  const url = `http://127.0.0.1:${server.address().port}/`;
  const opts = { url, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=read', connections: 8, duration: 3 };
  await autocannon({ ...opts, duration: 1 });
  const c0 = process.cpuUsage(); const n0 = n;
  await autocannon(opts);
  const c = process.cpuUsage(c0);
  console.log(mode, 'requests', n - n0, 'cpu us/req (server+loadgen, same process)', ((c.user + c.system) / (n - n0)).toFixed(1));
  process.exit(0);
});

/**
 * The edge bundle step: what `@passport/core` + `@passport/http` + `@passport/store-memory` cost a
 * Cloudflare Worker (or any bundled edge function). esbuild bundles a small Worker module that
 * builds a passport, the handler and a guard, the way a Worker imports them (platform `neutral`,
 * the `workerd` / `worker` / `browser` export conditions, ESM, minified), and the step reports the
 * minified size and its gzip size (level 9). The targets are fixed here; never loosen them to pass.
 *
 * @module
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { TargetResult } from './report.js';

/** The Worker the step bundles: everything a Worker serving Passport imports, and nothing else. */
export const WORKER_ENTRY = `import { createPassport, KeySet } from '@passport/core';
import { createGuard, createPassportHandler } from '@passport/http';
import { MemoryStore } from '@passport/store-memory';

let app;
export default {
  async fetch(request, env) {
    app ??= (async () => {
      const passport = createPassport({
        issuer: env.ISSUER,
        store: new MemoryStore(),
        keys: await KeySet.generate('ES256'),
      });
      return {
        oauth: createPassportHandler({ passport, secret: env.SECRET, authenticateUser: () => null }),
        api: createGuard({ passport }),
      };
    })();
    const { oauth, api } = await app;
    return new URL(request.url).pathname.startsWith('/api/')
      ? api.requireToken(() => new Response('ok'))(request)
      : oauth(request);
  },
};
`;

/** Bytes per kB in the targets and the report. */
const kB = 1000;

/** At most 120 kB minified and 40 kB gzipped. */
export const BUNDLE_LIMITS = { minifiedBytes: 120 * kB, gzipBytes: 40 * kB } as const;

/** The measured sizes, with the bytes each input contributes to the minified output. */
export interface BundleSize {
  minifiedBytes: number;
  gzipBytes: number;
  /** Output bytes by package (`@passport/core`, `jose`, ...), largest first. */
  byPackage: [name: string, bytes: number][];
}

function packageOf(input: string): string {
  const inStore = /node_modules\/\.pnpm\/((?:@[^+/]+\+)?[^@/]+)@/.exec(input);
  if (inStore?.[1] !== undefined) return inStore[1].replace('+', '/');
  const workspace = /(?:^|\/)packages\/([^/]+)\//.exec(input);
  if (workspace?.[1] !== undefined) return `@passport/${workspace[1]}`;
  return 'the Worker module';
}

/**
 * Bundles {@link WORKER_ENTRY} against the built workspace packages (run `pnpm build` first; the
 * bench's own runner does) and measures it.
 *
 * @param resolveDir - Where `@passport/*` resolve from: the bench package, which depends on all three.
 */
export async function measureWorkerBundle(resolveDir: string): Promise<BundleSize> {
  const result = await build({
    stdin: { contents: WORKER_ENTRY, resolveDir, sourcefile: 'worker.js', loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no output');
  const byPackage = new Map<string, number>();
  for (const meta of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(meta.inputs)) {
      const name = packageOf(input);
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return {
    minifiedBytes: output.contents.byteLength,
    gzipBytes: gzipSync(output.contents, { level: 9 }).byteLength,
    byPackage: [...byPackage].sort((a, b) => b[1] - a[1]),
  };
}

const kb = (bytes: number) => `${(bytes / kB).toFixed(1)} kB`;

/** The bundle's two targets against a measurement (`null`: not measured in this run). */
export function bundleTargets(size: BundleSize | null): TargetResult[] {
  const row = (target: string, limit: number, measured: number | undefined): TargetResult => ({
    target,
    required: `<= ${kb(limit)}`,
    measured: measured === undefined ? 'not measured' : kb(measured),
    pass: measured === undefined ? null : measured <= limit,
  });
  return [
    row(
      'Worker bundle (core + http + memory store), minified',
      BUNDLE_LIMITS.minifiedBytes,
      size?.minifiedBytes,
    ),
    row('The same, gzipped', BUNDLE_LIMITS.gzipBytes, size?.gzipBytes),
  ];
}

/** Markers around the bundle section of RESULTS.md, so `--bundle-only` can replace just it. */
export const BUNDLE_SECTION_START = '<!-- bundle:start -->';
export const BUNDLE_SECTION_END = '<!-- bundle:end -->';

/** The "Edge bundle" section of RESULTS.md. */
export function renderBundleSection(size: BundleSize, measuredAt: Date): string {
  const rows = size.byPackage.map(([name, bytes]) => `| ${name} | ${bytes} |`).join('\n');
  const targets = bundleTargets(size)
    .map((t) => `| ${t.target} | ${t.required} | ${t.measured} | ${t.pass ? 'PASS' : 'MISS'} |`)
    .join('\n');
  return `${BUNDLE_SECTION_START}
## Edge bundle

Measured ${measuredAt.toISOString()} by \`pnpm bench --bundle-only\` (also part of every full run):
esbuild bundles a Worker module that builds a passport on the memory store, the handler and a
guard (platform \`neutral\`, conditions \`workerd\`, \`worker\`, \`browser\`, ESM, minified); the
gzip size is gzip level 9. 1 kB = 1000 bytes.

| target | required | measured | result |
| --- | ---: | ---: | ---: |
${targets}

${size.minifiedBytes} bytes minified, ${size.gzipBytes} bytes gzipped. Minified output by package:

| package | bytes |
| --- | ---: |
${rows}
${BUNDLE_SECTION_END}`;
}

/**
 * `markdown` with the section between the markers `startMarker` and `endMarker` replaced by
 * `section` (which carries the markers itself), or with `section` appended when it has none.
 */
export function withMarkedSection(
  markdown: string,
  section: string,
  startMarker: string,
  endMarker: string,
): string {
  const start = markdown.indexOf(startMarker);
  const end = markdown.indexOf(endMarker);
  if (start === -1 || end === -1 || end < start) return `${markdown.trimEnd()}\n\n${section}\n`;
  return `${markdown.slice(0, start)}${section}${markdown.slice(end + endMarker.length)}`;
}

/** The section between `startMarker` and `endMarker` of `markdown`, markers included, or `null`. */
export function markedSection(markdown: string, startMarker: string, endMarker: string): string | null {
  const start = markdown.indexOf(startMarker);
  const end = markdown.indexOf(endMarker);
  if (start === -1 || end === -1 || end < start) return null;
  return markdown.slice(start, end + endMarker.length);
}

/** `markdown` with its bundle section replaced by `section` (appended when it has none). */
export function withBundleSection(markdown: string, section: string): string {
  return withMarkedSection(markdown, section, BUNDLE_SECTION_START, BUNDLE_SECTION_END);
}

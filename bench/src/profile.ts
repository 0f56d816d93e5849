/**
 * Summarises a `.cpuprofile` written by `pnpm bench --cpu-prof <dir>`: self time per function and
 * per package, heaviest first. `node dist/profile.js <file.cpuprofile> [top]`
 *
 * @module
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Which package a script URL belongs to: `jose`, `@passport/core`, `node:internal`, ... */
export function packageOf(url: string): string {
  if (url === '') return '(native / VM)';
  if (url.startsWith('node:')) return url;
  const workspace = /\/packages\/([^/]+)\/dist\//.exec(url);
  if (workspace) return `@passport/${workspace[1]}`;
  const modules = url.split('/node_modules/');
  const last = modules[modules.length - 1];
  if (modules.length > 1 && last !== undefined) {
    const parts = last.split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  if (url.includes('/bench/dist/')) return '@passport/bench';
  return url;
}

/** Self time in ms per function and per package. */
export function summariseProfile(profile: CpuProfile): {
  totalMs: number;
  byFunction: [string, number][];
  byPackage: [string, number][];
} {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let totalMs = 0;
  for (const [id, ms] of self) {
    const node = nodes.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = packageOf(url);
    const name = `${functionName || '(anonymous)'} ${pkg}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
    totalMs += ms;
  }
  const sort = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { totalMs, byFunction: sort(byFunction), byPackage: sort(byPackage) };
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: node dist/profile.js <file.cpuprofile> [top]');
    process.exitCode = 1;
    return;
  }
  const top = Number(topArg ?? 25);
  const { totalMs, byFunction, byPackage } = summariseProfile(
    JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
  );
  const pct = (ms: number) => `${((100 * ms) / totalMs).toFixed(1).padStart(5)}%`;
  console.log(`${file}: ${totalMs.toFixed(0)} ms sampled (main thread only)\n\nself time by package:`);
  for (const [name, ms] of byPackage.slice(0, top)) console.log(`  ${pct(ms)}  ${name}`);
  console.log('\nself time by function:');
  for (const [name, ms] of byFunction.slice(0, top)) console.log(`  ${pct(ms)}  ${name}`);
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) main();

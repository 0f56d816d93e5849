/// <reference types="node" />
/**
 * No regular expression in the shipped code can backtrack super-linearly (ReDoS). Every pattern
 * literal in `packages/<name>/src` and `examples/` (tests aside) is analysed by recheck, which
 * decides from the pattern's automaton (and fuzzing where that is undecided) whether some input
 * makes the backtracking engine take polynomial or exponential time: a deterministic measure of
 * the work, not a timing. Patterns built at run time (`new RegExp(...)`) are refused outright, since
 * they cannot be analysed here.
 *
 * A pattern that never sees request input may be listed in `notRequestInput` with the reason; a
 * pattern that does must be linear, or be replaced by an index scan.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from 'recheck';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Patterns that are not linear but only ever read configuration, with the reason. */
const notRequestInput: ReadonlyArray<{ file: string; source: string; reason: string }> = [
  {
    file: 'packages/core/src/keys/der.ts',
    source: '/-----BEGIN ([A-Z0-9 ]+)-----([\\s\\S]*?)-----END \\1-----/',
    reason: 'reads PEM key material from the configuration (files, environment), never a request',
  },
];

function sourceFiles(directory: string, out: string[] = []): string[] {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'test') continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (/\.(?:ts|mts|js|mjs)$/.test(entry.name) && !/\.(?:test|d)\.m?ts$/.test(entry.name))
      out.push(path);
  }
  return out;
}

interface Found {
  file: string;
  line: number;
  source: string;
}

function shippedCode(): string[] {
  const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, 'packages', entry.name, 'src'))
    .filter((path) => {
      try {
        return readdirSync(path).length > 0;
      } catch {
        return false;
      }
    });
  return [...packages, join(root, 'examples')].flatMap((directory) => sourceFiles(directory));
}

function regexes(files: readonly string[]): { literals: Found[]; dynamic: Found[] } {
  const literals: Found[] = [];
  const dynamic: Found[] = [];
  for (const path of files) {
    const text = readFileSync(path, 'utf8');
    const file = relative(root, path);
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const at = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        literals.push({ file, line: at(node), source: node.getText() });
      } else if (
        (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'RegExp'
      ) {
        dynamic.push({ file, line: at(node), source: node.getText().slice(0, 80) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { literals, dynamic };
}

describe('regular expressions in shipped code', () => {
  const files = shippedCode();
  const { literals, dynamic } = regexes(files);

  it('finds the code to audit', () => {
    expect(files.some((file) => file.endsWith('core/src/clients/client-authentication.ts'))).toBe(true);
    expect(files.some((file) => file.endsWith('http/src/guards.ts'))).toBe(true);
    expect(files.some((file) => file.endsWith('demo/src/app.mjs'))).toBe(true);
    expect(literals.length).toBeGreaterThan(20);
  });

  it('builds no pattern at run time', () => {
    expect(dynamic.map((found) => `${found.file}:${found.line} ${found.source}`)).toEqual([]);
  });

  it('has no pattern that backtracks super-linearly on some input', { timeout: 120_000 }, async () => {
    const problems: string[] = [];
    for (const found of literals) {
      const slash = found.source.lastIndexOf('/');
      const result = await check(found.source.slice(1, slash), found.source.slice(slash + 1), {
        timeout: 20_000,
      });
      if (result.status === 'safe') continue;
      const listed = notRequestInput.find((n) => n.file === found.file && n.source === found.source);
      if (listed !== undefined) continue;
      const complexity = result.status === 'vulnerable' ? result.complexity.summary : result.status;
      problems.push(`${found.file}:${found.line} ${found.source}: ${complexity}`);
    }
    expect(problems).toEqual([]);
  });

  it('recognises the quadratic Basic header pattern the security review found', async () => {
    // The pattern parseBasicAuthorization used: Basic + 8,100 blanks + a + 8,100 blanks + b cost
    // about 100 ms of event loop per request.
    const result = await check('^basic[ \\t]+([^ \\t]*)[ \\t]*$', 'i', { timeout: 20_000 });
    expect(result.status).toBe('vulnerable');
    expect(result.status === 'vulnerable' && result.complexity.type).toBe('polynomial');
  });
});

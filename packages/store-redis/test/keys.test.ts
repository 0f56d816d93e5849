import { requireService, services } from '@passport/test-bed';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeId, KeyLayout } from '../src/internal/keys.js';
import { claim } from '../src/internal/scripts.js';

const IDS = [
  '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
  'a'.repeat(64),
  'user_1.example-a',
  '',
  'has space',
  'brace{tag}',
  'colon:inside',
  'nul\u0000byte',
  'ünïcödé ✓',
  'x'.repeat(201),
  'x'.repeat(10_000),
];

describe('ids in keys', () => {
  it('keeps plain ids and hex-encodes every other string, never leaving a brace, colon or space', () => {
    expect(encodeId('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0')).toBe('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0');
    expect(encodeId('brace{tag}')).toBe('~62726163657b7461677d');
    for (const id of IDS) expect(encodeId(id)).not.toMatch(/[{}: ]/);
    expect(new Set(IDS.map(encodeId)).size).toBe(IDS.length);
  });

  it('puts every key of one family, code or device code into one hash tag', () => {
    const keys = new KeyLayout('p:');
    const family = 'f{a}mily';
    const tags = [
      keys.groupAccessToken(family, 'x'),
      keys.groupRefreshToken(family, 'y'),
      keys.groupAccessTokens(family),
      keys.groupRefreshTokens(family),
      keys.authCode(family),
      keys.deviceCode(family),
    ].map((key) => key.slice(key.indexOf('{'), key.indexOf('}') + 1));
    expect(new Set(tags)).toEqual(new Set([`{${encodeId(family)}}`]));
  });
});

describe.skipIf(!(await requireService('redis')))('ids in keys, on the server', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(services.redis.url);
  });
  afterAll(() => redis.disconnect());

  it("the scripts' Lua encoder agrees with encodeId for every kind of id", async () => {
    const lua = `${claim.lua.slice(0, claim.lua.indexOf('local function extend'))}\nreturn enc(ARGV[1])`;
    for (const id of IDS) expect(await redis.eval(lua, 0, id)).toBe(encodeId(id));
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireService, services } from '@passport/test-bed';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemoProcess } from './demo-process.js';

const CHROMIUM = services.chromium.path;

describe.skipIf(!(await requireService('chromium')))('the demo in Chromium', () => {
  let dataDir: string;
  let demo: RunningDemo;
  let browser: Browser;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'passport-demo-browser-'));
    demo = await startDemoProcess(dataDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('logs in, approves, gets a token, calls the API, refreshes, revokes, and sees the call fail', async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));

    await page.goto(`${demo.url}/client`);
    await expect.poll(() => page.textContent('#status')).toBe('Not authorized yet.');
    await page.click('#authorize');

    // Not signed in: the authorization endpoint sends us to the host's login page.
    await page.waitForURL(/\/login\?return_to=/);
    await page.fill('input[name="email"]', 'demo@example.com');
    await page.fill('input[name="password"]', 'password');
    await page.click('#sign-in');

    // Back at /oauth/authorize: the approval page names the client and the scopes.
    await page.waitForURL(/\/oauth\/authorize/);
    const approval = (await page.textContent('body')) ?? '';
    expect(approval).toContain('Demo client app');
    expect(approval).toContain('Read your name and email address');
    await page.getByRole('button', { name: 'Approve' }).click();

    // Redirected to the client with a code, exchanged for tokens by the page.
    await page.waitForURL(`${demo.url}/client`);
    await expect
      .poll(() => page.textContent('#status'))
      .toBe('Authorized: the code was exchanged for tokens.');
    const firstToken = (await page.textContent('#access-token')) ?? '';
    expect(firstToken.split('.')).toHaveLength(3);
    expect(await page.textContent('#refresh-token')).not.toBe('');
    const claims = JSON.parse((await page.textContent('#claims')) ?? '{}') as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: demo.url, sub: 'user-1', scope: 'profile notes:read' });

    await page.click('#call-api');
    await expect.poll(() => page.textContent('#api-status')).toBe('200');
    expect(await page.textContent('#api-result')).toContain('"email":"demo@example.com"');

    await page.click('#refresh');
    await expect.poll(() => page.textContent('#status')).toMatch(/^Refreshed/);
    const secondToken = (await page.textContent('#access-token')) ?? '';
    expect(secondToken).not.toBe(firstToken);
    await page.click('#call-api');
    await expect
      .poll(() => page.textContent('#log'))
      .toMatch(/GET \/api\/me -> 200\n.*\n.*GET \/api\/me -> 200/s);

    await page.click('#revoke');
    await expect.poll(() => page.textContent('#status')).toMatch(/^Revoked/);
    await page.click('#call-api');
    await expect.poll(() => page.textContent('#api-status')).toBe('401');
    expect(await page.textContent('#api-result')).toContain('error="invalid_token"');

    // The revoked access token's refresh token is gone too.
    await page.click('#refresh');
    await expect.poll(() => page.textContent('#status')).toMatch(/^Refresh failed/);

    // Signing out ends the session: the approval page asks for a login again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${demo.url}/`);
    expect(await page.textContent('#who')).toContain('Sign in');
    await page.goto(`${demo.url}/client`);
    await page.click('#reset');
    await page.click('#authorize');
    await page.waitForURL(/\/login\?return_to=%2Foauth%2Fauthorize/);
    expect(failures).toEqual([]);
  });

  it('runs the device flow through the device pages', async () => {
    const tvId = /Demo TV +id (\S+)/.exec(demo.output)?.[1] ?? '';
    const start = await fetch(`${demo.url}/oauth/device/code`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: tvId, scope: 'profile' }),
    });
    expect(start.status).toBe(200);
    const device = (await start.json()) as {
      device_code: string;
      user_code: string;
      verification_uri_complete: string;
    };
    const poll = () =>
      fetch(`${demo.url}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          client_id: tvId,
          device_code: device.device_code,
        }),
      });
    expect(((await (await poll()).json()) as { error: string }).error).toBe('authorization_pending');

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(device.verification_uri_complete);
    if (page.url().includes('/login')) {
      await page.fill('input[name="password"]', 'password');
      await page.click('#sign-in');
    }
    await page.waitForURL(/\/oauth\/device/);
    const continueButton = page.getByRole('button', { name: 'Continue' });
    if (await continueButton.isVisible()) await continueButton.click();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForLoadState();
    await context.close();

    const granted = await poll();
    const body = (await granted.json()) as { access_token?: string; error?: string };
    expect(body.error).toBeUndefined();
    expect(granted.status).toBe(200);
    const me = await fetch(`${demo.url}/api/me`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(me.status).toBe(200);
  });
});

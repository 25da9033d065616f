// browser.test.ts — the web page in a real browser (Debian's chromium, driven
// by playwright-core), against a real iosrv with a shell on a pty.
//
// The scenario of the issue: open the page with the owner's token in the URL
// fragment, type `echo hi` into the terminal, and see the answer both in the
// page and in an ioshell-like client attached to the same session over the
// Unix socket. Then: a watch token shows "read-only" and its keys go nowhere;
// a dropped connection comes back with the backlog. The screenshot of the
// first test is what docs/ shows (written only with IO_SCREENSHOT=path).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { useScope } from '../helpers/scope.js';
import { tmpIoDir } from '../helpers/iodir.js';
import { framed, rawCtl, startIosrv, type IoServer } from '../helpers/server.js';
import { waitFor } from '../helpers/until.js';

const scope = useScope();
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env['CHROMIUM'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
});

const WATCH = 'watch-token-0123456789abcdef';

async function startWeb(session: string[] = ['--pty']): Promise<{ srv: IoServer; http: string; token: string }> {
  const dir = tmpIoDir(scope);
  const tokenFile = join(dir, 'tokens');
  writeFileSync(tokenFile, `watch ${WATCH}\n`, { mode: 0o600 });
  const srv = await startIosrv(scope, [...session, '--listen', '127.0.0.1:0', '--token-file', tokenFile], { name: 'web', dir, env: { SHELL: '/bin/sh', PS1: '$ ' } });
  const addr = await waitFor(() => /listening on ws:\/\/([\d.:]+)\//.exec(srv.stderr()), { what: 'the listen address' });
  return { srv, http: `http://${addr[1]}/web/`, token: readFileSync(join(dir, 'web.token'), 'utf8').trim() };
}

/** Requests the page made that failed or were refused (a 404 shows in the browser's console). */
const failedRequests = new WeakMap<Page, string[]>();

async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 900, height: 500 } });
  scope.defer(() => page.close());
  const failed: string[] = [];
  failedRequests.set(page, failed);
  page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText ?? 'failed'}`));
  page.on('response', (r) => void (r.status() >= 400 && failed.push(`${r.url()}: ${r.status()}`)));
  await page.goto(url);
  await page.waitForSelector('.xterm-rows');
  return page;
}

const screenText = (page: Page): Promise<string> => page.locator('.xterm-rows').innerText();

describe('web page', () => {
  it('types into the session and shows the answer in the page and in another client', async () => {
    const { srv, http, token } = await startWeb();
    const other = await framed(scope, srv);
    let seen = '';
    other.on({ data: (_h, b) => (seen += b.toString()) });
    other.subscribe(1);
    const page = await openPage(`${http}#token=${token}&trihub=0`);
    await waitFor(async () => (await page.locator('#state').innerText()) === 'trihub 0', { what: 'the page to attach' });
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('echo hi-$((6*7))');
    await page.keyboard.press('Enter');
    await waitFor(async () => (await screenText(page)).includes('hi-42'), { what: 'the answer in the page', timeoutMs: 10_000 });
    await waitFor(() => seen.includes('hi-42'), { what: 'the answer at the other client' });
    expect(await page.locator('#ro').isVisible()).toBe(false);
    expect(failedRequests.get(page)).toEqual([]);
    if (process.env['IO_SCREENSHOT']) await page.screenshot({ path: process.env['IO_SCREENSHOT'] });
  });

  it('says so when nothing runs on its trihub, and starts no hub by looking', async () => {
    const { srv, http, token } = await startWeb();
    const page = await openPage(`${http}#token=${token}&trihub=3`);
    await waitFor(async () => (await page.locator('#state').innerText()) === 'trihub 3: nothing runs there (try 0)', { what: 'the page to say so' });
    // keys typed there go nowhere: no hub is started by them either
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('echo into-nothing');
    await page.keyboard.press('Enter');
    await new Promise((r) => setTimeout(r, 300));
    expect(await rawCtl(srv.sock, 'status')).not.toMatch(/^hub [345]:/m);
  });

  it('says so when its token is not valid, rather than retrying for ever', async () => {
    const { http } = await startWeb();
    const page = await browser.newPage({ viewport: { width: 900, height: 500 } });
    scope.defer(() => page.close());
    await page.goto(`${http}#token=not-the-token`);
    await waitFor(async () => (await page.locator('#state').innerText()).startsWith('no valid token (401)'), { what: 'the refusal in the page', timeoutMs: 10_000 });
  });

  it('shows read-only for a watch token, and its keys reach nobody', async () => {
    const { srv, http } = await startWeb();
    const other = await framed(scope, srv);
    let seen = '';
    other.on({ data: (_h, b) => (seen += b.toString()) });
    other.subscribe(1);
    other.write(0, Buffer.from('echo from-the-owner\r'));
    const page = await openPage(`${http}#token=${WATCH}`);
    await waitFor(async () => (await screenText(page)).includes('from-the-owner'), { what: 'the backlog in the page', timeoutMs: 10_000 });
    expect(await page.locator('#ro').isVisible()).toBe(true);
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('echo sneaky');
    await page.keyboard.press('Enter');
    other.write(0, Buffer.from('echo marker\r'));
    await waitFor(() => seen.includes('marker\r\n'), { what: 'the marker' });
    expect(seen).not.toContain('sneaky');
    // said in the header, where the screen watched is not disturbed
    expect(await page.locator('#ro').innerText()).toBe('read-only (a watch token): keys are not sent');
    expect(await screenText(page)).not.toMatch(/keys are not sent/);
  });

  it('on a session without a pty, edits lines as a cooked terminal: echo, Backspace, Enter sends a line; output lines start at the left', async () => {
    const { srv, http, token } = await startWeb(['-c', 'cat']);
    const reader = await framed(scope, srv);
    let heard = '';
    reader.on({ data: (h, b) => void (h === 1 && (heard += b.toString())) });
    reader.subscribe(1);
    const page = await openPage(`${http}#token=${token}`);
    await waitFor(async () => (await page.locator('#state').innerText()) === 'trihub 0', { what: 'the page to attach' });
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('hello pagx');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('e');
    await waitFor(async () => (await screenText(page)).includes('hello page'), { what: 'the echo of what is typed' });
    expect(heard).toBe('');
    await page.keyboard.press('Enter');
    await waitFor(() => heard === 'hello page\n', { what: () => `the line at the session (${JSON.stringify(heard)})` });
    reader.write(0, Buffer.from('line one\nline two\n'));
    await waitFor(async () => /^line two$/m.test(await screenText(page)), { what: 'the lines in the page' });
    const rows = (await screenText(page)).split('\n').map((l) => l.trimEnd());
    // typed and echoed by the page, then cat's echo; each line from the left, none a staircase
    expect(rows.filter((l) => l !== '')).toEqual(['hello page', 'hello page', 'line one', 'line two']);
    // someone else's line while one is being typed: it goes above, and the typed line is typed again below it
    await page.keyboard.type('half');
    await waitFor(async () => /^half\s*$/m.test(await screenText(page)), { what: 'the half line' });
    reader.write(0, Buffer.from('interrupting line\n'));
    let seenNow = '';
    await waitFor(async () => /^interrupting line\s*\nhalf\s*$/m.test((seenNow = await screenText(page))), { what: () => `the line above the typed one:\n${seenNow}` });
    await page.keyboard.type(' done');
    await page.keyboard.press('Enter');
    await waitFor(() => heard.endsWith('half done\n'), { what: () => `the finished line at the session (${JSON.stringify(heard)})` });
    expect(await screenText(page)).not.toMatch(/halfinterrupting/);
  });

  it('stops when the server quits, and says how the session ended, instead of retrying for ever', async () => {
    const { http, token } = await startWeb();
    const page = await openPage(`${http}#token=${token}`);
    await waitFor(async () => (await page.locator('#state').innerText()) === 'trihub 0', { what: 'the page to attach' });
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('exit 3');
    await page.keyboard.press('Enter');
    const ended = 'server quit (every session ended; the last, on trihub 0: status 3); reload to connect again';
    await waitFor(async () => (await page.locator('#state').innerText()) === ended, { what: 'the end in the page', timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 1500)); // a retry would have said "disconnected; retrying" by now
    expect(await page.locator('#state').innerText()).toBe(ended);
  });

  it('reconnects after a drop and shows the backlog again', async () => {
    const { srv, http, token } = await startWeb();
    const page = await openPage(`${http}#token=${token}`);
    await waitFor(async () => (await page.locator('#state').innerText()) === 'trihub 0', { what: 'attach' });
    const other = await framed(scope, srv);
    other.write(0, Buffer.from('echo before-the-drop\r'));
    await waitFor(async () => (await screenText(page)).includes('before-the-drop'), { what: 'the line', timeoutMs: 10_000 });
    // Drop every client of the server from its side: kill its framed endpoints on hub 1.
    const view = await other.ctl('h1v');
    for (const m of view.matchAll(/H1out(\d+) conn/g)) await other.ctl(`h1k${m[1]}`);
    await waitFor(async () => (await page.locator('#state').innerText()).startsWith('disconnected'), { what: 'the page to see the drop' });
    await waitFor(async () => (await page.locator('#state').innerText()) === 'trihub 0', { what: 'the page to come back', timeoutMs: 10_000 });
    await waitFor(async () => (await screenText(page)).includes('before-the-drop'), { what: 'the backlog after reconnecting' });
  });
});

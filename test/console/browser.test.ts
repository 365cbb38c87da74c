// The console in headless Chromium against a real server and the emulator: every page; an event sent with
// Segment's SDK appears in the live debugger; emulator faults show as retries, as a failure that the Replay
// button sends again, and as a paused destination that resumes from the overview; markup in user data is text.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Analytics } from '@segment/analytics-node';
import type { Browser, Page } from 'playwright-core';
import { request } from 'undici';
import { buildConsole } from '../../scripts/build-console.mjs';
import { startStack, waitFor, ADMIN_TOKEN, WRITE_KEY, type Stack } from '../helpers.js';
import { launchChromium, noChromium, openConsole } from './chromium.js';

const SLACK = 20_000;

describe('console in Chromium', { skip: noChromium }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  const send = async (calls: (a: Analytics) => void) => {
    const a = new Analytics({ writeKey: WRITE_KEY, host: stack.server.url, flushAt: 1, flushInterval: 20 });
    calls(a);
    await a.closeAndFlush();
  };
  const faults = async (f: Record<string, unknown>) => {
    const res = await request(`${stack.emulator.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f) });
    await res.body.text();
    assert.equal(res.statusCode, 200);
  };
  const delivered = (event: string) => (stack.emulator.events('acc') as { evtName?: string }[]).filter((e) => e.evtName === event).length;

  before(async () => {
    await buildConsole();
    stack = await startStack();
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => void d.accept());
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('login: the form takes the token; the address with the token logs in and drops it', { timeout: 60_000 }, async () => {
    await page.goto(`${stack.server.url}/console`);
    await page.fill('input[name=token]', 'wrong');
    await page.click('button[type=submit]');
    await page.waitForSelector('.login .error', { timeout: SLACK });
    await page.fill('input[name=token]', ADMIN_TOKEN);
    await page.click('button[type=submit]');
    await page.waitForSelector('main h1:text("Overview")', { timeout: SLACK });
    await page.context().clearCookies();
    await openConsole(page, stack.server.url, '/console/sources');
    assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
    assert.equal(await page.textContent('main h1'), 'Sources');
  });

  test('debugger: an event sent with the Segment SDK appears, and opens with its records and outcome', { timeout: 60_000 }, async () => {
    await page.goto(`${stack.server.url}/console/debugger`);
    await page.waitForSelector('.state:text("live")', { timeout: SLACK });
    await send((a) => a.track({ userId: 'dbg-1', event: 'Console Seen', properties: { plan: 'pro' } }));
    const row = page.locator('tr.event', { hasText: 'Console Seen' });
    await row.waitFor({ timeout: SLACK });
    await page.locator('tr.event', { hasText: 'Console Seen' }).locator('.status-done').waitFor({ timeout: SLACK });
    assert.match(await row.textContent() ?? '', /dbg-1/);
    await row.click();
    await page.waitForSelector('tr.detail .records', { timeout: SLACK });
    const detail = (await page.textContent('tr.detail')) ?? '';
    assert.match(detail, /"plan": "pro"/);
    assert.match(detail, /ct \(clevertap/);
    assert.match(detail, /delivered/);
    // Filters: another user hides it; pause stops the stream.
    await page.fill('input[name=filter-user]', 'nobody');
    assert.equal(await page.locator('tr.event').count(), 0);
    await page.fill('input[name=filter-user]', 'dbg');
    assert.equal(await page.locator('tr.event').count(), 1);
    await page.click('button:text("Pause")');
    await page.waitForSelector('.state:text("paused")');
    await send((a) => a.track({ userId: 'dbg-1', event: 'While Paused' }));
    await waitFor(() => delivered('While Paused') === 1, SLACK);
    assert.equal(await page.locator('tr.event', { hasText: 'While Paused' }).count(), 0);
    await page.click('button:text("Resume")');
    await page.waitForSelector('.state:text("live")', { timeout: SLACK });
    await send((a) => a.track({ userId: 'dbg-1', event: 'After Resume' }));
    await page.locator('tr.event', { hasText: 'After Resume' }).waitFor({ timeout: SLACK });
  });

  test('markup in properties is shown as text and runs nothing', { timeout: 60_000 }, async () => {
    const img = '<img src=x onerror="window.__xss=1">';
    const script = '<script>window.__xss=2</script>';
    await page.goto(`${stack.server.url}/console/debugger`);
    await page.waitForSelector('.state:text("live")', { timeout: SLACK });
    await send((a) => a.track({ userId: script, event: img, properties: { html: img, js: script } }));
    const row = page.locator('tr.event', { hasText: 'onerror' });
    await row.waitFor({ timeout: SLACK });
    assert.equal(await row.locator('.event-name').textContent(), img);
    await row.click();
    await page.waitForSelector('tr.detail pre', { timeout: SLACK });
    assert.match((await page.textContent('tr.detail pre')) ?? '', /<script>window.__xss=2<\/script>/);
    assert.equal(await page.locator('main img').count(), 0);
    assert.equal(await page.locator('main script').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  });

  test('a fault in the emulator shows as a retry, then as delivered', { timeout: 60_000 }, async () => {
    await page.goto(`${stack.server.url}/console/debugger`);
    await page.waitForSelector('.state:text("live")', { timeout: SLACK });
    await faults({ status: 503 });
    await send((a) => a.track({ userId: 'retry-1', event: 'Retried Event' }));
    const row = page.locator('tr.event', { hasText: 'Retried Event' });
    await row.locator('.status-retry', { hasText: '503' }).first().waitFor({ timeout: SLACK });
    await faults({});
    await row.locator('.status-done').waitFor({ timeout: SLACK });
  });

  test('a refused record becomes a failure that the Replay button sends again', { timeout: 60_000 }, async () => {
    await faults({ status: 400 });
    await send((a) => a.track({ userId: 'refused-1', event: 'Refused Event' }));
    await waitFor(async () => (await stack.server.store.failures({})).some((f) => f.userKey === 'refused-1'), SLACK);
    await faults({});
    await page.goto(`${stack.server.url}/console/failures`);
    const row = page.locator('tr', { hasText: 'refused-1' });
    await row.waitFor({ timeout: SLACK });
    assert.match((await row.textContent()) ?? '', /http_400/);
    await row.locator('button:text("Open")').click();
    await page.waitForSelector('tr.detail .records', { timeout: SLACK });
    assert.match((await page.textContent('tr.detail')) ?? '', /Refused Event/);
    await row.locator('button:text("Replay")').click();
    await page.waitForSelector('.note:text("1 sent again")', { timeout: SLACK });
    await waitFor(() => delivered('Refused Event') === 1, SLACK);
  });

  test('failures: the CleverTap-code filter beside the Taproute code narrows the list', { timeout: 60_000 }, async () => {
    await send((a) => {
      a.track({ userId: 'ctfilter', event: 'App Launched' }); // a CleverTap system event: refused with CleverTap code 513
      a.group({ userId: 'ctfilter', groupId: 'g1' });
    });
    await waitFor(async () => (await stack.server.store.failures({})).filter((f) => f.userKey === 'ctfilter').length === 2, SLACK);
    await page.goto(`${stack.server.url}/console/failures`);
    const rows = page.locator('tr[data-failure-id]', { hasText: 'ctfilter' });
    await waitFor(async () => (await rows.count()) === 2, SLACK);
    await page.fill('input[name=failure-clevertapCode]', '513');
    await page.click('button:text("Filter")');
    await waitFor(async () => (await rows.count()) === 1, SLACK);
    assert.match((await rows.textContent()) ?? '', /restricted_event/);
    await page.fill('input[name=failure-clevertapCode]', '');
    await page.fill('input[name=failure-code]', 'restricted_event');
    await page.click('button:text("Filter")');
    await waitFor(async () => (await rows.count()) === 1, SLACK);
  });

  test('a paused destination resumes from the overview', { timeout: 60_000 }, async () => {
    await faults({ status: 401 });
    await send((a) => a.track({ userId: 'paused-1', event: 'After Pause' }));
    await waitFor(() => stack.server.workers.get('ct')!.status().state === 'paused', SLACK);
    await faults({});
    await page.goto(`${stack.server.url}/console`);
    const dest = page.locator('tr[data-destination=ct]');
    await dest.locator('.state:text("paused")').waitFor({ timeout: SLACK });
    await dest.locator('button:text("Resume")').click();
    await dest.locator('.state:text("running")').waitFor({ timeout: SLACK });
    await waitFor(() => delivered('After Pause') === 1, SLACK);
    assert.match((await page.textContent('tr[data-connection="web:ct"]')) ?? '', /web → ct/);
  });

  test('transform playground: an example in every mode, side by side', { timeout: 60_000 }, async () => {
    await page.goto(`${stack.server.url}/console/transform`);
    await page.waitForSelector('select[name=mode]', { timeout: SLACK });
    await page.selectOption('select[name=example]', 'page');
    await page.selectOption('select[name=mode]', 'rudderstack');
    await page.click('button:text("Transform")');
    await page.waitForSelector('.side-by-side', { timeout: SLACK });
    assert.equal(await page.locator('.side-by-side > div').count(), 3);
    assert.match((await page.textContent('.selected')) ?? '', /Web Page Viewed: Pricing/);
  });

  test('transform playground: a pasted function, its output, then the records; a throwing one shows its error and stack', { timeout: 60_000 }, async () => {
    await page.goto(`${stack.server.url}/console/transform`);
    await page.waitForSelector('select[name=mode]', { timeout: SLACK });
    await page.selectOption('select[name=example]', 'track');
    await page.click('details.function summary');
    await page.fill('textarea[name=function]', 'export function transform(m: { event: string }) {\n  return [m, { ...m, event: "Split " + m.event }];\n}');
    await page.click('button:text("Transform")');
    await page.waitForSelector('.step h2:text("Function output (2 messages)")', { timeout: SLACK });
    assert.equal(await page.locator('.selected').count(), 2, 'records for each output message');
    assert.match((await page.locator('.selected').nth(1).textContent()) ?? '', /Split Signed Up/);
    await page.fill('textarea[name=function]', 'export function transform() {\n  throw new Error("bad <b>input</b>");\n}');
    await page.click('button:text("Transform")');
    await page.waitForSelector('.step pre.function-error', { timeout: SLACK });
    const shown = (await page.textContent('.step pre.function-error')) ?? '';
    assert.match(shown, /bad <b>input<\/b>/, 'the error as text');
    assert.match(shown, /at transform \(/, 'and its stack');
    assert.equal(await page.locator('.selected').count(), 0);
  });

  test('sources: the write key is masked and copied only on demand', { timeout: 60_000 }, async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto(`${stack.server.url}/console/sources`);
    await page.waitForSelector('section.source[data-source=web]', { timeout: SLACK });
    assert.ok(!(await page.content()).includes(WRITE_KEY), 'the full key is not in the page');
    assert.match((await page.textContent('section.source')) ?? '', /curl/);
    await page.locator('dd button.copy').first().click();
    await page.waitForSelector('.note:text("copied")', { timeout: SLACK });
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), WRITE_KEY);
  });

  test('users: what the store holds for a user with each outcome', { timeout: 60_000 }, async () => {
    await page.goto(`${stack.server.url}/console/users`);
    await page.fill('input[name=user]', 'ctfilter');
    await page.click('button:text("Look up")');
    const launched = page.locator('details.user-message', { hasText: 'App Launched' });
    await launched.waitFor({ timeout: SLACK });
    assert.match((await launched.locator('summary').textContent()) ?? '', /ct: dead \(restricted_event\)/);
    assert.equal(await page.locator('details.user-message').count(), 2);
  });

  test('users: lookup, then delete behind a typed confirmation', { timeout: 60_000 }, async () => {
    await page.goto(`${stack.server.url}/console/users`);
    await page.fill('input[name=user]', 'dbg-1');
    await page.click('button:text("Look up")');
    await page.click('button:text("Delete this user…")');
    const del = page.locator('button:text("Delete dbg-1")');
    assert.equal(await del.isDisabled(), true);
    await page.fill('input[name=confirm-user]', 'dbg-1');
    await del.click();
    await page.waitForSelector('.note:text("suppressed")', { timeout: SLACK });
    assert.ok((await stack.server.store.suppressed()).has('dbg-1'));
    assert.deepEqual(errors, [], 'no script errors on any page');
  });
});

// Steps the browser tests share: read the app's probe, wait for a state,
// set the speed by keyboard, ask the CLI for a trace hash, and assert a
// page stayed clean.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let scratch;

/** The trace hash the CLI prints for scenario `json` run to `micros`. */
export function cliHash(json, micros, name) {
  scratch ??= mkdtempSync(join(tmpdir(), 'splitbrain-cli-'));
  const file = join(scratch, `${name}.json`);
  writeFileSync(file, json);
  const run = spawnSync(
    'cargo',
    ['run', '--quiet', '--release', '-p', 'splitbrain-cli', '--', 'run', file, '--until', `${micros}us`],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const match = /^trace hash: ([0-9a-f]{16})$/m.exec(run.stdout ?? '');
  assert.ok(match, `the CLI printed no hash: ${run.stdout} ${run.stderr}`);
  return match[1];
}

export function state(page) {
  return page.evaluate(() => window.splitbrain.state());
}

// The page is up and speaks the language it was asked to: `<html lang>`
// follows the text on the page, and Chinese text is fetched on first use.
export async function ready(page) {
  await page.waitForFunction(
    () => window.splitbrain?.state && document.documentElement.lang === window.splitbrain.state().lang,
    null,
    { timeout: 30_000 },
  );
}

export async function until(page, predicate, what, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await state(page);
    if (predicate(last)) return last;
    await page.waitForTimeout(100);
  }
  assert.fail(`timed out waiting for ${what}; last state: ${JSON.stringify(last).slice(0, 800)}`);
}

/**
 * Clicks gallery entry `id` (its dialog open) and waits until the run is
 * the entry's: the entry's scenario file comes on first use.
 */
export async function openEntry(page, id) {
  await page.locator(`[data-gallery="${id}"]`).click();
  await page.waitForFunction((id) => window.splitbrain.state().gallery === id, id);
  return state(page);
}

export async function blur(page) {
  await page.evaluate(() => document.activeElement?.blur());
}

export async function setSpeed(page, speed) {
  await blur(page);
  for (let i = 0; i < 40; i++) {
    const s = (await state(page)).speed;
    if (Math.abs(s - speed) < 1e-9) return;
    await page.keyboard.press(s < speed ? '+' : '-');
  }
  assert.fail(`could not set the speed to ${speed}`);
}

export async function assertNotStopped(app) {
  assert.equal(await app.fatal(), null, 'the app stopped with a fatal error');
}

export function assertClean(app) {
  assert.deepEqual(app.consoleErrors, [], 'console errors');
  assert.deepEqual(app.failedRequests, [], 'failed requests');
  assert.deepEqual(app.offOriginRequests(), [], 'requests that left the origin');
}

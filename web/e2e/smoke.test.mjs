// Smoke test: the page loads cleanly and stays on its own origin.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';

test('page loads with no console errors and no off-origin requests', { timeout: 90_000 }, async () => {
  const app = await openApp();
  try {
    assert.ok(app.response?.ok(), `page answered ${app.response?.status()}`);
    // Let late fetches (the wasm module, once the app exists) finish or fail.
    await app.page.waitForLoadState('networkidle');
    assert.match(await app.page.title(), /Splitbrain/);

    await app.screenshot('smoke');

    assert.deepEqual(app.consoleErrors, [], 'console errors');
    assert.deepEqual(app.failedRequests, [], 'failed requests');
    assert.ok(app.requests.length > 0, 'no request was recorded at all');
    assert.deepEqual(app.offOriginRequests(), [], 'requests that left the origin');
  } finally {
    await app.close();
  }
});

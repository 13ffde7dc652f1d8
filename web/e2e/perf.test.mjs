// Frame work (all the main-thread work of an animation frame: simulation,
// drawing, the panels' re-render, style and layout) and frames drawn per
// second, at 5 nodes and at 51 nodes under heavy client load. Printed, not
// asserted: it depends on the machine. The page reports it through
// window.splitbrain.frameStats().

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { state } from './steps.mjs';

async function setSpeed(page, speed) {
  await page.evaluate(() => document.activeElement?.blur());
  for (let i = 0; i < 40; i++) {
    const s = (await state(page)).speed;
    if (Math.abs(s - speed) < 1e-9) return;
    await page.keyboard.press(s < speed ? '+' : '-');
  }
}

/** Measures `seconds` of frames; returns the summary and the in-flight range. */
async function measure(page, seconds) {
  await page.evaluate(() => window.splitbrain.resetFrameStats());
  const inFlight = [];
  for (let i = 0; i < seconds * 4; i++) {
    await page.waitForTimeout(250);
    inFlight.push((await state(page)).inFlight);
  }
  const stats = await page.evaluate(() => window.splitbrain.frameStats());
  return { stats, inFlight: [Math.min(...inFlight), Math.max(...inFlight)] };
}

function report(label, { stats, inFlight }, speed) {
  const ms = (x) => x.toFixed(2);
  console.log(
    `# frame time, ${label} at ${speed}x: p50 ${ms(stats.p50_ms)} ms, p95 ${ms(stats.p95_ms)} ms, ` +
      `max ${ms(stats.max_ms)} ms (simulate p95 ${ms(stats.simulate.p95_ms)}, ` +
      `draw p95 ${ms(stats.draw.p95_ms)}, rest of the frame p95 ${ms(stats.panels.p95_ms)}) ` +
      `over ${stats.frames} frames, ${stats.fps.toFixed(1)} frames/s ` +
      `(longest gap ${ms(stats.interval.max_ms)} ms); ` +
      `${inFlight[0]}–${inFlight[1]} messages in flight`,
  );
}

test('frame time at 5 nodes and at 51 nodes under heavy load', { timeout: 240_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await page.waitForFunction(() => window.splitbrain?.frameStats, null, { timeout: 30_000 });

    // Five nodes, the default speed, a steady stream of requests.
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('l');
    await page.waitForTimeout(2000);
    const five = await measure(page, 4);
    report('5 nodes, steady requests', five, 0.1);
    assert.ok(five.stats.frames > 0);

    // 51 nodes and 100 busy simulated clients, set up in the parameters.
    await page.getByRole('button', { name: 'Parameters' }).click();
    await page.getByLabel('Nodes (1–51)').fill('51');
    await page.getByLabel('Simulated clients (0–1000, for load)').fill('100');
    await page.getByRole('button', { name: 'Apply and restart' }).click();
    // Run fast until the load has built up to ~2,000 messages in flight,
    // then watch at the default speed and at real time.
    await setSpeed(page, 100);
    await page.waitForFunction(() => window.splitbrain.state().inFlight >= 1900, null, {
      timeout: 90_000,
      polling: 100,
    });
    for (const speed of [0.1, 1]) {
      await setSpeed(page, speed);
      const heavy = await measure(page, 3);
      report('51 nodes, 100 clients', heavy, speed);
      assert.ok(heavy.stats.frames > 0);
    }
    // Pause first: under this load the page can starve Chromium's
    // screenshot, and the picture is a record, not a measurement.
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press(' ');
    await page.waitForFunction(() => !window.splitbrain.state().playing, null, { timeout: 30_000 });
    await app.screenshot('app-51-nodes');
    assert.deepEqual(app.consoleErrors, [], 'console errors');
    assert.deepEqual(app.offOriginRequests(), [], 'requests that left the origin');
  } finally {
    await app.close();
  }
});

// Frame work (all the main-thread work of an animation frame: simulation,
// drawing, the panels' re-render, style and layout) and frames drawn per
// second, at 5 nodes and at 51 nodes under heavy client load. Printed, not
// asserted: it depends on the machine. The page reports it through
// window.splitbrain.frameStats().
//
// The page can time its own phases only up to the end of its callback; the
// canvas is rasterised later, when Chromium commits the frame, and that
// lands in "rest of the frame" with the panels. So each configuration is
// then traced for a few seconds (Chromium's own timeline events, CPU time
// of the page's main thread) and the time per frame printed by kind.

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

/**
 * Traces `seconds` of the page's main thread and returns CPU milliseconds
 * per frame by kind of work.
 */
async function traceSplit(page, seconds) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,disabled-by-default-devtools.timeline',
    transferMode: 'ReportEvents',
  });
  await page.waitForTimeout(seconds * 1000);
  await cdp.send('Tracing.end');
  await complete;
  await cdp.detach();
  const thread = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const mine = events
    .filter((e) => e.pid === thread.pid && e.tid === thread.tid && e.ph === 'X' && e.dur)
    .sort((a, b) => a.ts - b.ts);
  const cpu = (e) => (e.tdur ?? e.dur) / 1000;
  const sum = (names) => mine.filter((e) => names.includes(e.name)).reduce((a, e) => a + cpu(e), 0);
  // Top-level tasks only: nested events are parts of them.
  let all = 0;
  let end = 0;
  for (const e of mine) {
    if (e.name === 'RunTask' && e.ts >= end) {
      all += cpu(e);
      end = e.ts + e.dur;
    }
  }
  // One commit per frame that changed the page.
  const frames = Math.max(1, mine.filter((e) => e.name === 'Commit').length);
  const callbacks = sum(['FireAnimationFrame']);
  const commit = sum(['Commit']);
  const layout = sum(['UpdateLayoutTree', 'Layout']);
  const paint = sum(['PrePaint', 'Paint', 'Layerize']);
  return {
    frames,
    all: all / frames,
    callbacks: callbacks / frames,
    commit: commit / frames,
    layout: layout / frames,
    paint: paint / frames,
    other: (all - callbacks - commit - layout - paint) / frames,
  };
}

function reportSplit(label, speed, split) {
  const ms = (x) => x.toFixed(2);
  console.log(
    `# main-thread CPU per frame, ${label} at ${speed}x: ${ms(split.all)} ms ` +
      `(animation-frame callbacks: simulate, draw, history ${ms(split.callbacks)}; ` +
      `commit with the canvas's rasterising ${ms(split.commit)}; style and layout ${ms(split.layout)}; ` +
      `paint ${ms(split.paint)}; the rest, the panels' re-render among it, ${ms(split.other)}) ` +
      `over ${split.frames} frames, traced`,
  );
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
    const fiveSplit = await traceSplit(page, 2);
    reportSplit('5 nodes, steady requests', 0.1, fiveSplit);
    assert.ok(fiveSplit.frames > 1);

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
      const heavy = await measure(page, 4);
      report('51 nodes, 100 clients', heavy, speed);
      assert.ok(heavy.stats.frames > 0);
      const split = await traceSplit(page, 2);
      reportSplit('51 nodes, 100 clients', speed, split);
      assert.ok(split.frames > 1);
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

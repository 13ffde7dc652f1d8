// Local clocks in a real browser: the inspector shows a node's clock and
// sets its offset and drift from the keyboard (a recorded action, so a
// reload of the link brings the same run back); the gallery's drift entry
// turns "One lease holder at a time" red on nodes whose clocks are off.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { state, ready, until, blur, assertClean } from './steps.mjs';

async function clickNode(page, i) {
  const s = await state(page);
  await page.mouse.click(s.canvas.left + s.nodes[i].x, s.canvas.top + s.nodes[i].y);
  await until(page, (st) => st.selected === i, `n${i} selected`);
}

const inspector = (page) => page.locator('section[aria-labelledby="inspector-title"]');

/** The fragment once the page has written the run's link into it. */
async function settledHash(page) {
  let previous = '';
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(1_200);
    const hash = await page.evaluate(() => location.hash);
    if (hash.length > 1 && hash === previous) return hash;
    previous = hash;
  }
  assert.fail('the address never settled');
}

test('the inspector sets a node\'s clock, and the link keeps it', { timeout: 120_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await until(page, (s) => s.nowMicros > 300_000, 'the run under way');
    await clickNode(page, 1);
    assert.equal((await state(page)).nodes[1].driftPpm, 0);
    assert.match(await inspector(page).innerText(), /0 ppm/);

    // Keyboard only: type into the two boxes and submit with Enter.
    const offset = page.getByLabel('Offset from true time, in milliseconds');
    await offset.focus();
    await page.keyboard.type('-250');
    await page.keyboard.press('Tab');
    await page.keyboard.type('50000');
    await page.keyboard.press('Enter');
    const set = await until(page, (s) => s.nodes[1].driftPpm === 50000, 'n1 drifts 5%');
    // Set to 250 ms behind; it has gained a little since.
    assert.ok(set.nodes[1].clockOffsetMicros >= -250_000 && set.nodes[1].clockOffsetMicros < 0, JSON.stringify(set.nodes[1]));
    assert.equal(set.nodes[0].driftPpm, 0, 'other clocks are untouched');
    assert.match(await inspector(page).innerText(), /50000 ppm/);

    // A bad value is refused with a reason, and nothing is recorded.
    await offset.fill('soon');
    await offset.press('Enter');
    await page.getByText('The offset is milliseconds').waitFor();
    assert.equal((await state(page)).nodes[1].driftPpm, 50000);

    await blur(page);
    await page.keyboard.press(' ');
    const before = await until(page, (s) => !s.playing, 'paused');
    await settledHash(page);
    await page.reload();
    await ready(page);
    const after = await state(page);
    assert.equal(after.traceHash, before.traceHash);
    assert.equal(after.nodes[1].driftPpm, 50000);
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('the drift gallery entry: two workers hold the lock, on nodes whose clocks are off', { timeout: 120_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await page.getByRole('button', { name: 'Gallery' }).click();
    await page.locator('[data-gallery="lock-drift-overlap"]').click();
    const s = await until(page, (s) => s.gallery === 'lock-drift-overlap' && !s.playing, 'the entry at its moment');
    assert.match(s.violation ?? '', /^One lease holder at a time/);
    assert.deepEqual(s.nodes.map((n) => n.driftPpm), [0, 100000, 100000, 0, -100000, 0]);
    await clickNode(page, 1);
    const text = await inspector(page).innerText();
    assert.match(text, /100000 ppm/);
    assertClean(app);
  } finally {
    await app.close();
  }
});

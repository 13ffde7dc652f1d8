// Raft's log compaction in a real browser: the gallery's catch-up tour
// shows, in the inspector, the restarted follower's snapshot and that it
// installed one, with snapshot safety holding in the invariants panel; and
// the Parameters dialog's switch puts `snapshot_every` into the scenario.

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

test('a follower back from a long outage shows the snapshot it installed', { timeout: 120_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await blur(page);
    await page.keyboard.press('g');
    await page.locator('[data-gallery="raft-snapshot-catch-up"]').click();
    const s = await until(page, (s) => s.gallery === 'raft-snapshot-catch-up' && !s.playing, 'the entry at its moment');
    assert.equal(s.nowMicros, 7_500_000);
    assert.equal(s.violation, null);
    await clickNode(page, 4);
    const text = await inspector(page).innerText();
    assert.match(text, /snapshots installed\s*1/);
    assert.match(text, /snapshot\s*index \d+, term \d+/);
    assert.equal(await page.locator('[data-invariant="snapshot safety"][data-holds="true"]').count(), 1);
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('the Log compaction switch puts snapshot_every into the scenario', { timeout: 120_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await page.getByRole('button', { name: 'Parameters' }).click();
    const compaction = page.locator('[data-option=snapshot_every] input[type=checkbox]');
    assert.equal(await compaction.isChecked(), false, 'off by default');
    await compaction.check();
    await page.getByRole('button', { name: 'Apply and restart' }).click();
    const protocol = JSON.parse(await page.evaluate(() => window.splitbrain.branchScenario())).protocol;
    assert.equal(protocol.snapshot_every, 16);
    assertClean(app);
  } finally {
    await app.close();
  }
});

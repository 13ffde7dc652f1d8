// The replicated lock service in a real browser: the protocol menu starts
// three lock replicas that elect a leader; the gallery's leader-crash
// scenario shows, in the inspector, the new leader's log (a no-op of its
// own term, then a grant with a larger token) and the storage node's file
// history (the new holder's write accepted, the paused worker's stale
// write rejected by its fencing token).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { state, ready, until, assertClean } from './steps.mjs';

async function clickNode(page, i) {
  const s = await state(page);
  await page.mouse.click(s.canvas.left + s.nodes[i].x, s.canvas.top + s.nodes[i].y);
  await until(page, (st) => st.selected === i, `n${i} selected`);
}

const inspector = (page) => page.locator('section[aria-labelledby="inspector-title"]');

test('replicated locks: a leader is elected, and a crashed leader\'s successor grants larger tokens', { timeout: 120_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await page.selectOption('#protocol', 'lock-service');
    const s = await until(
      page,
      (s) => s.protocol === 'lock-service' && s.nodes.length === 6 && s.nodes.slice(0, 3).some((n) => n.roleLabel === 'lock leader'),
      'a lock leader among n0-n2',
    );
    assert.equal(s.nodes[3].roleLabel, 'storage');

    await page.getByRole('button', { name: 'Gallery' }).click();
    await page.locator('[data-gallery="lock-replicated"]').click();
    await until(page, (s) => s.gallery === 'lock-replicated' && !s.playing, 'the entry at its moment');
    const at = await state(page);
    assert.equal(at.nodes[0].up, false, 'the old leader is down');
    assert.equal(at.nodes[2].roleLabel, 'lock leader');

    await clickNode(page, 2);
    const leaderLog = await inspector(page).innerText();
    assert.match(leaderLog, /no-op \(new leader\)/);
    assert.match(leaderLog, /grant token 2 to n4/);
    assert.match(leaderLog, /grant token 4 to n5/);

    await clickNode(page, 3);
    const file = await inspector(page).innerText();
    assert.match(file, /written by n5 with token 4/);
    assert.match(file, /rejected by n4 with token 2/);
    assert.equal((await state(page)).violation, null);
    assertClean(app);
  } finally {
    await app.close();
  }
});

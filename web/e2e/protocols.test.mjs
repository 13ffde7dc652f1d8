// Every protocol in a real browser: choosing one with the mouse or the
// keyboard, 2PC's in-doubt participants and how long they have waited,
// naive Paxos breaking agreement, the gallery, transactions and votes.
// Checked against window.splitbrain.state() and the page's text.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { state, ready, until, blur, setSpeed, assertClean, openEntry } from './steps.mjs';

test('2PC: the coordinator crashes and the page shows who is in doubt, and for how long', { timeout: 90_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await page.selectOption('#protocol', 'two-phase');
    let s = await until(page, (s) => s.protocol === 'two-phase', 'two-phase commit to be chosen');
    assert.equal(s.nodes.length, 4, 'a coordinator and three participants');
    assert.equal(await page.locator('#board-title').textContent(), 'Transactions');

    await page.getByRole('button', { name: 'Gallery' }).click();
    assert.equal((await state(page)).overlay, 'gallery');
    s = await openEntry(page, 'two-phase-blocking');
    assert.equal(s.gallery, 'two-phase-blocking');
    assert.equal(s.overlay, 'none');
    assert.equal(s.playing, false, 'paused at the moment to watch');
    assert.equal(s.nowMicros, 2_000_000);
    assert.equal(s.nodes[0].up, false, 'the coordinator is down');
    for (const n of [1, 2, 3]) {
      assert.equal(s.nodes[n].roleLabel, 'in doubt', `n${n}`);
      assert.equal(s.nodes[n].inDoubtMicros, 1_890_000, `n${n} voted yes at 110 ms`);
    }
    // On the page, in words.
    const row = page.locator('.board tr[data-node="1"]');
    assert.match(await row.textContent(), /in doubt/);
    assert.match(await row.textContent(), /1\.89 s/);
    assert.match(await page.locator('.board .in-doubt[data-node="1"]').textContent(), /in doubt for 1\.89 s/);
    assert.match(await page.locator('.story').textContent(), /participants block/);

    // Live: playing on, the time in doubt grows until the coordinator is
    // back (3 s) and answers abort.
    await setSpeed(page, 1);
    await page.keyboard.press(' ');
    s = await until(page, (s) => s.nodes[1].inDoubtMicros > 2_300_000, 'the time in doubt to grow');
    // The panels refresh a few times a second, after the model.
    await page.waitForFunction(
      () => /in doubt for 2\.\d\d s/.test(document.querySelector('.board .in-doubt[data-node="1"]')?.textContent ?? ''),
      null,
      { timeout: 10_000 },
    );
    await app.screenshot('protocols-two-phase-in-doubt');
    s = await until(page, (s) => [1, 2, 3].every((n) => s.nodes[n].roleLabel === 'aborted'), 'presumed abort after the restart');
    assert.equal(s.violation, null);
    await page.waitForFunction(
      () => /per transaction \d+(\.\d)? msgs · \d+ B/.test(document.getElementById('per-decision')?.textContent ?? ''),
      null,
      { timeout: 10_000 },
    );
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('naive Paxos: the gallery entry shows agreement violated', { timeout: 60_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await blur(page);
    await page.keyboard.press('g');
    assert.equal((await state(page)).overlay, 'gallery');
    // Keyboard only: focus the entry and press Enter.
    await page.locator('[data-gallery="paxos-naive"]').focus();
    await page.keyboard.press('Enter');
    const s = await until(page, (s) => s.violation !== null, 'the agreement violation');
    assert.equal(s.protocol, 'naive-paxos');
    assert.match(s.violation, /^agreement: /);
    assert.equal(s.playing, false);
    assert.equal(await page.locator('[data-invariant="agreement"][data-holds="false"]').count(), 1);
    assert.match(await page.locator('.violation').textContent(), /agreement broken/);
    // The Paxos board: promised, accepted and chosen per node.
    assert.equal(await page.locator('#board-title').textContent(), 'Naive Paxos: no promise phase');
    const head = await page.locator('.board thead').textContent();
    for (const col of ['promised', 'accepted', 'chosen']) assert.match(head, new RegExp(col));
    await app.screenshot('protocols-naive-paxos');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('the protocol can be switched by keyboard alone', { timeout: 60_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    assert.equal((await state(page)).protocol, 'raft');
    // The P shortcut: the next protocol, as a fresh run.
    await blur(page);
    await page.keyboard.press('p');
    let s = await until(page, (s) => s.protocol === 'two-phase', 'P to switch to two-phase commit');
    assert.ok(s.nowMicros < 1_000_000, 'a fresh run');
    // The menu: reached with Tab, changed with the arrow keys.
    await blur(page);
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.id === 'protocol');
    }
    assert.ok(reached, 'Tab reaches the protocol menu');
    await page.keyboard.press('ArrowDown');
    s = await until(page, (s) => s.protocol === 'three-phase', 'the arrow key to choose three-phase commit');
    assert.equal(s.nodes.length, 4);
    assert.match(await page.locator('.board').textContent(), /pre-committed/);
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('2PC transactions: start one, then choose a no vote and watch the next abort', { timeout: 60_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await page.selectOption('#protocol', 'two-phase');
    await until(page, (s) => s.protocol === 'two-phase', 'two-phase commit');
    await setSpeed(page, 1);
    await page.locator('#start-txn').click();
    let s = await until(page, (s) => [1, 2, 3].every((n) => s.nodes[n].roleLabel === 'committed'), 'a commit');
    await page.locator('.board tr[data-node="2"]').getByRole('button', { name: 'no' }).click();
    assert.equal(await page.locator('.board tr[data-node="2"]').getByRole('button', { name: 'no' }).getAttribute('aria-pressed'), 'true');
    await page.locator('#start-txn').click();
    s = await until(page, (s) => [1, 2, 3].every((n) => s.nodes[n].roleLabel === 'aborted'), 'an abort everywhere');
    assert.equal(s.decided, 2);
    assert.match(await page.locator('#cost').textContent(), /Per decided transaction: \d+(\.\d)? msgs · \d+ B/);
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('every protocol runs in the page, and every gallery entry loads', { timeout: 120_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    // The menu is the core's registry: every registered protocol's
    // presets, in order, and nothing else.
    const registered = await page.evaluate(() => window.splitbrain.protocols());
    assert.ok(registered.length >= 9, `${registered.length} menu entries`);
    const ids = await page.locator('#protocol option').evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(ids, registered.map((p) => p.id));
    for (const id of ids) {
      await page.selectOption('#protocol', id);
      await until(page, (s) => s.protocol === id, id);
    }
    await page.getByRole('button', { name: 'Gallery' }).click();
    // The gallery file is fetched the first time the gallery opens.
    await page.locator('[data-gallery]').first().waitFor();
    const entries = await page.locator('[data-gallery]').evaluateAll((es) => es.map((e) => e.dataset.gallery));
    assert.ok(entries.length >= 10, `${entries.length} entries`);
    await page.getByRole('button', { name: 'Close' }).click();
    for (const id of entries) {
      await page.getByRole('button', { name: 'Gallery' }).click();
      const s = await openEntry(page, id);
      assert.equal(s.gallery, id);
      assert.equal(s.playing, false);
    }
    // Multi-Paxos against Raft: the cost per decision is on the page.
    await page.getByRole('button', { name: 'Gallery' }).click();
    await openEntry(page, 'multi-paxos-vs-raft');
    assert.match(await page.locator('#per-decision').textContent(), /per value \d+(\.\d)? msgs · \d+ B/);
    assertClean(app);
  } finally {
    await app.close();
  }
});

// Time travel in a real browser: scrubbing shows the state a native run of
// the same scenario reaches at that time (the CLI's trace hash, through
// cargo as in app.test.mjs), stepping back and forth returns to the same
// state, acting in the past starts a branch and the earlier branch can be
// returned to. Also prints how long seeks take in the browser.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { blur, cliHash, setSpeed } from './steps.mjs';

function assertNoErrors(app) {
  assert.deepEqual(app.consoleErrors, [], 'console errors');
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), 'splitbrain-tt-'));

const state = (page) => page.evaluate(() => window.splitbrain.state());
const travel = (page) => page.evaluate(() => window.splitbrain.travel());

async function ready(page) {
  await page.waitForFunction(() => window.splitbrain?.travel, null, { timeout: 30_000 });
}

async function until(page, predicate, what, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await state(page);
    if (predicate(last)) return last;
    await page.waitForTimeout(100);
  }
  assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(last).slice(0, 600)}`);
}


/** Drags the scrubber to `micros` (a person's drag ends in this value). */
async function scrubTo(page, micros) {
  await page.locator('#scrubber').fill(String(micros));
  await page.waitForFunction((t) => window.splitbrain.state().nowMicros === t, micros, { timeout: 10_000 });
  return state(page);
}

/** A run of a few simulated seconds, paused. */
async function playedRun(page) {
  await ready(page);
  await setSpeed(page, 1);
  await until(page, (s) => s.nowMicros > 4_000_000 && s.leader !== null, '4 s of simulated time');
  await blur(page);
  await page.keyboard.press(' ');
  await until(page, (s) => !s.playing, 'pause');
}

test('scrubbing shows the state a native run reaches at that time', { timeout: 300_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await playedRun(page);
    const end = await travel(page);
    assert.equal(end.behind, false);
    const json = await page.evaluate(() => window.splitbrain.branchScenario());
    for (const t of [3_200_000, 1_000_000, 2_500_123, 400_000, end.headMicros]) {
      const s = await scrubTo(page, t);
      const native = cliHash(json, t, 'main');
      assert.equal(s.traceHash, native, `at ${t} µs the browser shows another state than the CLI computes`);
      // The headless run in the page agrees too, and so do the nodes.
      const headless = await page.evaluate(([j, u]) => window.splitbrain.runScenario(j, u), [json, t]);
      assert.equal(headless, native);
      console.log(`# at ${t} µs: trace hash ${s.traceHash}, ${s.events} events, as the CLI`);
    }
    // Back to 2.5 s; step back with the keyboard, then forward again.
    const at = await scrubTo(page, 2_500_000);
    await blur(page);
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction((n) => window.splitbrain.state().events < n, at.events);
    const back = await state(page);
    assert.ok(back.nowMicros <= at.nowMicros);
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((n) => window.splitbrain.state().events >= n, at.events);
    const again = await state(page);
    assert.equal(again.traceHash, at.traceHash, 'step back then forward returns to the same state');
    assert.deepEqual(
      again.nodes.map((n) => [n.role, n.term, n.logHash]),
      at.nodes.map((n) => [n.role, n.term, n.logHash]),
    );
    // Jump to the previous leader change: a leader exists there.
    await page.keyboard.press('[');
    await page.waitForFunction((n) => window.splitbrain.state().events < n, again.events);
    assert.notEqual((await state(page)).leader, null, 'a leader was just elected');
    // The diagram (folded away by default) draws the window around the
    // cursor, with a line at it.
    await page.locator('#tt-more summary').click();
    // It is built only while open, so it appears a moment after.
    await page.locator('#spacetime svg').waitFor();
    assert.ok(await page.locator('#spacetime svg .msg').count() > 0, 'messages in the diagram');
    assert.equal(await page.locator('#spacetime svg .cursor').count(), 1);
    // Selecting an arrow highlights it.
    await page.locator('#spacetime svg .msg').first().dispatchEvent('click');
    await page.waitForFunction(() => window.splitbrain.travel().selectedEvent !== null);
    assert.equal(await page.locator('#spacetime svg .msg.selected').count() >= 1, true);
    // And shows it in the cluster: the state just after its send, where it
    // is in flight.
    await page.getByRole('button', { name: 'Show in the cluster' }).click();
    await page.waitForFunction(() => window.splitbrain.state().inFlight > 0);
    assert.match(await page.locator('#tt-picked').innerText(), /sent at/);
    // The SVG export is a download of a standalone file.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export diagram (SVG)' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'splitbrain-spacetime.svg');
    const [png] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export cluster (PNG)' }).click(),
    ]);
    assert.equal(png.suggestedFilename(), 'splitbrain-cluster.png');
    await app.screenshot('timetravel');
  } finally {
    await app.close();
  }
});

test('acting in the past starts a branch; the earlier branch can be returned to', { timeout: 300_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await playedRun(page);
    const original = await page.evaluate(() => window.splitbrain.branchScenario());
    const head = await travel(page);

    // Back to 2 s and crash a node there (select it, press C).
    await scrubTo(page, 2_000_000);
    // Filling the scrubber may have scrolled the cluster out of view.
    await page.locator('#cluster').scrollIntoViewIfNeeded();
    const past = await state(page);
    const victim = past.nodes.find((n) => n.up).id;
    const at = past.nodes[victim];
    await page.mouse.click(past.canvas.left + at.x, past.canvas.top + at.y);
    await page.waitForFunction((v) => window.splitbrain.state().selected === v, victim);
    await blur(page);
    await page.keyboard.press('c');
    await page.waitForFunction(() => window.splitbrain.travel().branches.length === 2);
    const branched = await travel(page);
    assert.equal(branched.branch, 1);
    assert.ok(!(await state(page)).nodes[victim].up, 'the node is down on the new branch');
    const notice = (await state(page)).notice ?? '';
    assert.match(notice, /Branch 1/);

    // Play on a little; the branch's scenario replays it natively.
    await page.keyboard.press(' ');
    await until(page, (s) => s.nowMicros > 2_600_000, 'the branch to run on');
    await page.keyboard.press(' ');
    const onBranch = await until(page, (s) => !s.playing, 'pause');
    const branchJson = await page.evaluate(() => window.splitbrain.branchScenario());
    assert.notEqual(branchJson, original);
    assert.equal(onBranch.traceHash, cliHash(branchJson, onBranch.nowMicros, 'branch'));

    // Back to the first branch, from the list.
    await page.getByRole('button', { name: /Branch 0/ }).click();
    await page.waitForFunction(() => window.splitbrain.travel().branch === 0);
    const back = await state(page);
    assert.equal(back.nowMicros, 2_000_000, 'where the person left it');
    assert.equal(back.traceHash, cliHash(original, 2_000_000, 'original'));
    assert.equal((await travel(page)).headEvents, head.headEvents, 'the first branch is intact');
    assert.equal(await page.evaluate(() => window.splitbrain.branchScenario()), original);
    // And its end is still there.
    await blur(page);
    await page.keyboard.press('End');
    await page.waitForFunction((t) => window.splitbrain.state().nowMicros === t, head.headMicros);
    assert.equal((await state(page)).traceHash, cliHash(original, head.headMicros, 'original-end'));
  } finally {
    await app.close();
  }
});

/** The CLI's node logs (`--logs`) for scenario `json` run to `micros`. */
function cliLogs(json, micros, name) {
  const file = join(TMP, `${name}.json`);
  writeFileSync(file, json);
  const run = spawnSync(
    'cargo',
    ['run', '--quiet', '--release', '-p', 'splitbrain-cli', '--', 'run', file, '--until', `${micros}us`, '--logs'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  const leader = /^leader: (n\d+|none)$/m.exec(run.stdout ?? '');
  assert.ok(leader, `the CLI printed no leader: ${run.stdout} ${run.stderr}`);
  const logs = {};
  for (const m of (run.stdout ?? '').matchAll(/^ {2}(n\d+): ?(.*)$/gm)) {
    logs[m[1]] = m[2].trim() === '' ? [] : m[2].trim().split(' ').map((p) => p.split(':').map(Number));
  }
  return { leader: leader[1], logs };
}

/** Matching / conflicting / missing / extra, as the inspector counts them. */
function diffOf(mine, theirs) {
  let common = 0;
  while (common < mine.length && common < theirs.length
    && mine[common][0] === theirs[common][0] && mine[common][1] === theirs[common][1]) common++;
  const overlap = Math.min(mine.length, theirs.length);
  return {
    matching: common,
    conflicting: overlap - common,
    missing: theirs.length - overlap,
    extra: mine.length - overlap,
  };
}

async function inspectorDiff(page) {
  const el = page.locator('#log-diff');
  await el.waitFor();
  const get = async (name) => Number(await el.getAttribute(`data-${name}`));
  return {
    node: `n${await el.getAttribute('data-node')}`,
    leader: `n${await el.getAttribute('data-leader-node')}`,
    matching: await get('matching'),
    conflicting: await get('conflicting'),
    missing: await get('missing'),
    extra: await get('extra'),
  };
}

test('selection is shared: a message picked on the cluster is the diagram\'s, an event picked in the diagram selects its node', { timeout: 300_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await playedRun(page);
    // Step until a message is in flight clear of the nodes.
    let flight;
    for (let i = 0; i < 300 && !flight; i++) {
      await page.keyboard.press('.');
      const [t, now] = [await travel(page), await state(page)];
      flight = t.flights.find((f) => now.nodes.every((n) => Math.hypot(n.x - f.x, n.y - f.y) > 40));
    }
    assert.ok(flight, 'a message in flight clear of the nodes');
    const s = await state(page);
    await page.mouse.click(s.canvas.left + flight.x, s.canvas.top + flight.y);
    await page.waitForFunction((id) => window.splitbrain.travel().selectedMessage === id, flight.id);
    const picked = await travel(page);
    assert.equal(picked.selectedInFlight, true);
    // The diagram unfolded, and its one highlighted arrow is that message.
    assert.equal(await page.locator('#tt-more').getAttribute('open'), '');
    const arrow = page.locator('#spacetime svg .msg.selected');
    await arrow.first().waitFor();
    assert.equal(await arrow.count(), 1);
    assert.equal(Number(await arrow.getAttribute('data-event')), picked.selectedEvent);
    assert.match(await arrow.locator('title').textContent(), new RegExp(`m${flight.id}:`));
    assert.match(await page.locator('#tt-picked').innerText(), /in flight at this time/);
    console.log(`# picked m${flight.id} on the cluster: diagram arrow for event ${picked.selectedEvent}`);

    // The keyboard: M picks the next message in flight, by id.
    await page.locator('#cluster').focus();
    await page.keyboard.press('m');
    const ids = picked.flights.map((f) => f.id).sort((a, b) => a - b);
    const next = ids.find((id) => id > flight.id) ?? ids[0];
    await page.waitForFunction((id) => window.splitbrain.travel().selectedMessage === id, next);
    assert.equal(Number(await page.locator('#spacetime svg .msg.selected').getAttribute('data-event')),
      (await travel(page)).selectedEvent);

    // Scrubbing back before its send: still selected, not in flight, no error.
    await scrubTo(page, Math.max(0, (await state(page)).nowMicros - 400_000));
    const back = await travel(page);
    assert.equal(back.selectedMessage, next);
    assert.equal(back.selectedInFlight, false);
    assert.match(await page.locator('#tt-picked').innerText(), /not sent yet at this time/);

    // A leader change picked in the diagram selects its node.
    await blur(page);
    const here = (await state(page)).events;
    await page.keyboard.press('[');
    await page.waitForFunction((n) => window.splitbrain.state().events < n, here);
    await page.getByRole('button', { name: 'Follow' }).click();
    const glyph = page.locator('#spacetime svg .node-event.leader-event').first();
    await glyph.waitFor({ state: 'attached' });
    const node = Number(/^n(\d+)/.exec(await glyph.locator('title').textContent())[1]);
    await page.locator('#cluster').click({ position: { x: 2, y: 2 } }); // clears the selection
    await page.waitForFunction(() => window.splitbrain.state().selected === null);
    await glyph.dispatchEvent('click');
    await page.waitForFunction((n) => window.splitbrain.state().selected === n, node);
    assert.equal(await page.locator('#spacetime svg .node-event.selected').count(), 1);
    assertNoErrors(app);
  } finally {
    await app.close();
  }
});

test('the inspector compares a node\'s log with the leader\'s at the scrubbed time, as the CLI computes', { timeout: 300_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await page.getByRole('button', { name: 'Scenario' }).click();
    const scenario = readFileSync(join(ROOT, 'web/scenarios/raft-log-repair.json'), 'utf8');
    await page.locator('textarea[aria-label="Scenario JSON"]').fill(scenario);
    await page.getByRole('button', { name: 'Load this scenario' }).click();
    await setSpeed(page, 1);
    await until(page, (s) => s.nowMicros > 4_600_000, '4.6 s of the log repair scenario', 60_000);
    await blur(page);
    await page.keyboard.press(' ');
    await until(page, (s) => !s.playing, 'pause');
    const json = await page.evaluate(() => window.splitbrain.branchScenario());
    for (const [t, node] of [[2_500_000, 0], [2_500_000, 2], [4_500_000, 0], [1_200_000, 1]]) {
      await scrubTo(page, t);
      // Filling the scrubber may have scrolled the cluster out of view.
      await page.locator('#cluster').scrollIntoViewIfNeeded();
      const s = await state(page);
      const at = s.nodes[node];
      await page.mouse.click(s.canvas.left + at.x, s.canvas.top + at.y);
      await page.waitForFunction((v) => window.splitbrain.state().selected === v, node);
      const native = cliLogs(json, t, `logs-${t}`);
      const me = `n${node}`;
      if (native.leader === 'none' || native.leader === me) {
        assert.equal(await page.locator('#log-diff[data-matching]').count(), 0, `no diff for ${me} at ${t}`);
        continue;
      }
      const shown = await inspectorDiff(page);
      const expected = diffOf(native.logs[me], native.logs[native.leader]);
      assert.equal(shown.leader, native.leader, `leader at ${t}`);
      assert.deepEqual(
        { matching: shown.matching, conflicting: shown.conflicting, missing: shown.missing, extra: shown.extra },
        expected,
        `${me} against ${native.leader} at ${t} µs`,
      );
      // The log table marks the rows that differ.
      const marked = await page.locator('tr.diff-conflict, tr.diff-extra').count();
      assert.equal(marked, Math.min(expected.conflicting + expected.extra, 60));
      console.log(`# ${me} vs ${native.leader} at ${t} µs: ${JSON.stringify(expected)}, as the CLI`);
    }
    assertNoErrors(app);
  } finally {
    await app.close();
  }
});

test('seek times in the browser, a million events', { timeout: 600_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await blur(page);
    await page.keyboard.press(' '); // pause the live run: measure seeks alone
    const scenario = {
      protocol: { name: 'raft' },
      nodes: 5,
      seed: 11,
      workload: { clients: 5, keys: 10, think: { min: '1ms', max: '20ms' } },
      faults: { until: '60s', every: '2s' },
    };
    const r = await page.evaluate(
      ([json]) => window.splitbrain.benchSeek(json, 1_000_000, 30),
      [JSON.stringify(scenario)],
    );
    const summary = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      const mean = s.reduce((a, b) => a + b, 0) / s.length;
      return `mean ${mean.toFixed(1)} ms, p50 ${s[s.length >> 1].toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms`;
    };
    console.log(`# browser timeline: ${r.events} events to ${(r.headMicros / 1e6).toFixed(1)} s, recorded in ${(r.recordMs / 1e3).toFixed(1)} s`);
    console.log(`# ${r.snapshots} snapshots every ${r.interval} events; wasm memory grew ${(r.memoryBytes / 1e6).toFixed(0)} MB`);
    console.log(`# seek by time:  ${summary(r.seekTimeMs)}`);
    console.log(`# seek by index: ${summary(r.seekIndexMs)}`);
    console.log(`# step back:     ${summary(r.stepBackMs)}`);
    assert.ok(r.events >= 1_000_000);
    assert.equal(r.seekTimeMs.length, 30);
  } finally {
    await app.close();
  }
});

test('a memory budget typed while the run plays takes on its first change', { timeout: 120_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await blur(page);
    if (!(await state(page)).playing) await page.keyboard.press(' ');
    await until(page, (s) => s.playing, 'play');
    const field = page.locator('#memory-budget');
    await field.fill('384');
    // The panels re-render several times a second while the run plays;
    // what was typed must outlast them until the change commits it.
    await page.waitForTimeout(1000);
    assert.equal(await field.inputValue(), '384', 'the typed budget is still in the field');
    assert.ok((await state(page)).playing, 'the run played while the field was being edited');
    await field.dispatchEvent('change');
    await page.waitForFunction(() => window.splitbrain.memory().budget.budgetMb === 384, null, {
      timeout: 5_000,
    });
    assert.equal(await field.inputValue(), '384');
    assertNoErrors(app);
  } finally {
    await app.close();
  }
});

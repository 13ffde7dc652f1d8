// Time travel in a real browser: scrubbing shows the state a native run of
// the same scenario reaches at that time (the CLI's trace hash, through
// cargo as in app.test.mjs), stepping back and forth returns to the same
// state, acting in the past starts a branch and the earlier branch can be
// returned to. Also prints how long seeks take in the browser.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { blur, setSpeed } from './steps.mjs';

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

/** The trace hash the CLI prints for scenario `json` run to `micros`. */
function cliHash(json, micros, name) {
  const file = join(TMP, `${name}.json`);
  writeFileSync(file, json);
  const run = spawnSync(
    'cargo',
    ['run', '--quiet', '--release', '-p', 'splitbrain-cli', '--', 'run', file, '--until', `${micros}us`],
    { cwd: ROOT, encoding: 'utf8' },
  );
  const match = /^trace hash: ([0-9a-f]{16})$/m.exec(run.stdout ?? '');
  assert.ok(match, `the CLI printed no hash: ${run.stdout} ${run.stderr}`);
  return match[1];
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
    const past = await scrubTo(page, 2_000_000);
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

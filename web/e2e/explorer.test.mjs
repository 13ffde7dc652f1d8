// The explorer in a real browser: it runs in a Web Worker fetched only
// when a search starts, finds naive Paxos's agreement violation, plays the
// counterexample in the app, refuses bad bounds, and a big search shows
// rising progress, leaves the page responsive and can be cancelled.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { state, ready, until, blur, assertClean } from './steps.mjs';

const number = (text) => Number(String(text).replace(/[^0-9]/g, ''));

// Animation frames in one second, and the longest gap between two.
function countFrames() {
  return new Promise((resolve) => {
    let n = 0;
    let worst = 0;
    let last = performance.now();
    const start = last;
    const tick = (t) => {
      n += 1;
      worst = Math.max(worst, t - last);
      last = t;
      if (t - start < 1000) requestAnimationFrame(tick);
      else resolve({ n, worst });
    };
    requestAnimationFrame(tick);
  });
}

async function count(page) {
  return number(await page.locator('#explore-count').textContent());
}

test('explorer: naive Paxos breaks agreement, and the counterexample plays in the app', { timeout: 120_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await blur(page);
    await page.keyboard.press('x');
    assert.equal((await state(page)).overlay, 'explorer', 'X opens the explorer');
    assert.equal(await page.locator('#explore-target').inputValue(), 'naive-paxos');
    assert.ok(
      !app.requests.some((u) => u.includes('explorer_worker')),
      'the worker is not fetched before a search starts',
    );

    // Bad bounds are refused in words, before any worker starts.
    await page.fill('#explore-crashes', '9');
    await page.click('#explore-start');
    assert.match(
      await page.locator('#explore-error').textContent(),
      /Max crashes: expected a whole number from 0 to 5/,
    );
    assert.ok(!app.requests.some((u) => u.includes('explorer_worker')));
    await page.fill('#explore-crashes', '0');

    // By keyboard: Enter in a field starts the search; the focus then goes
    // to what comes next (here Play counterexample).
    await page.focus('#explore-crashes');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#explore-result', { timeout: 60_000 });
    await page.waitForFunction(() => document.activeElement?.id === 'explore-play', null, { timeout: 5_000 });
    const result = await page.locator('#explore-result').textContent();
    console.log(`naive Paxos: ${result}`);
    assert.match(result, /^Violated: agreement, after 4 steps/);
    assert.ok((await count(page)) > 0, 'states counted');
    assert.ok(app.requests.some((u) => u.endsWith('explorer_worker_bg.wasm')), 'the worker wasm was fetched');
    assert.equal(await page.locator('.explorer-steps li').count(), 4);
    assert.match(await page.locator('.explorer-steps').textContent(), /n0: timer 0 fires/);

    await app.screenshot('explorer-violation');
    await page.click('#explore-play');
    let s = await state(page);
    assert.equal(s.overlay, 'none', 'the dialog closes');
    assert.equal(s.protocol, 'naive-paxos');
    assert.equal(s.playing, true, 'the counterexample plays');
    s = await until(page, (s) => s.violation !== null, 'the replay to break agreement', 30_000);
    console.log(`replayed: ${s.violation}`);
    assert.match(s.violation, /^agreement/);
    // The page says so, as for any run that breaks an invariant.
    await page.waitForFunction(() => /Invariant broken: agreement/.test(document.getElementById('notice')?.textContent ?? ''), null, { timeout: 10_000 });
    await app.screenshot('explorer-counterexample');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('explorer: a big search shows rising progress, keeps the page responsive, and cancels', { timeout: 120_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await page.getByRole('button', { name: 'Explorer' }).click();
    await page.selectOption('#explore-target', 'two-phase-model');
    await page.fill('#explore-rms', '10');
    await page.fill('#explore-states', '20000000');
    // The same measure with no search, to compare with on a busy machine.
    const idle = await page.evaluate(countFrames);
    await page.click('#explore-start');
    await page.waitForSelector('#explore-cancel');
    await page.waitForFunction(() => document.activeElement?.id === 'explore-cancel', null, { timeout: 5_000 });

    // Progress arrives and rises.
    await page.waitForFunction(() => Number((document.getElementById('explore-count')?.textContent ?? '').replace(/[^0-9]/g, '')) > 0, null, { timeout: 30_000 });
    const first = await count(page);
    await page.waitForTimeout(1000);
    const second = await count(page);
    console.log(`progress: ${first} then ${second} states; rate shown ${await page.locator('#explore-rate').textContent()} states/s`);
    assert.ok(second > first, `the count rises (${first} → ${second})`);
    assert.ok(number(await page.locator('#explore-frontier').textContent()) > 0, 'a frontier');
    await app.screenshot('explorer-searching');

    // The page stays responsive while the worker searches: animation
    // frames keep coming, queued tasks run promptly, Cancel answers.
    const frames = await page.evaluate(countFrames);
    // How long a task queued on the page waits to run (worst of 20).
    const taskMs = await page.evaluate(async () => {
      let worst = 0;
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 0));
        worst = Math.max(worst, performance.now() - t0);
      }
      return worst;
    });
    const t0 = Date.now();
    await page.locator('#explore-depth').focus();
    const focusMs = Date.now() - t0;
    console.log(
      `animation frames in 1 s: ${idle.n} before the search (worst gap ${idle.worst.toFixed(1)} ms), ` +
        `${frames.n} during it (worst gap ${frames.worst.toFixed(1)} ms); ` +
        `a queued task waits at most ${taskMs.toFixed(1)} ms; a focus round trip from the test takes ${focusMs} ms`,
    );
    // Headless Chromium draws at 60 Hz: measured 59 frames in 1 s before
    // the search and 61 during it (the search runs in a worker). A search
    // that cost the page half its frames would be a regression; half, not
    // all, because the machine is shared with builds.
    assert.ok(frames.n >= idle.n / 2, `animation frames keep coming (${frames.n} in 1 s, ${idle.n} idle)`);
    assert.ok((await state(page)).overlay === 'explorer', 'the app still answers');

    const before = Date.now();
    await page.click('#explore-cancel');
    await page.waitForSelector('#explore-cancelled');
    console.log(`cancelled in ${Date.now() - before} ms: ${await page.locator('#explore-cancelled').textContent()}`);
    await page.waitForSelector('#explore-start');
    await page.waitForFunction(() => document.activeElement?.id === 'explore-start', null, { timeout: 5_000 });
    const stopped = await count(page);
    await page.waitForTimeout(600);
    assert.equal(await count(page), stopped, 'no progress after cancelling');
    assert.equal(await page.locator('#explore-result').count(), 0, 'no verdict for a cancelled search');

    // Escape closes the dialog (and would stop a search).
    await page.keyboard.press('Escape');
    assert.equal((await state(page)).overlay, 'none');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('explorer: real Paxos holds in every reachable state within its bounds', { timeout: 120_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await page.getByRole('button', { name: 'Explorer' }).click();
    await page.selectOption('#explore-target', 'paxos');
    await page.click('#explore-start');
    await page.waitForSelector('#explore-result', { timeout: 90_000 });
    const result = await page.locator('#explore-result').textContent();
    console.log(`Paxos: ${result}`);
    assert.equal(result, 'No violation in all 19,050 reachable states within these bounds.');
    assert.equal(await page.locator('#explore-play').count(), 0, 'nothing to play');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('explorer: the directed search finds Figure 8 in broken Raft, and it plays in the app', { timeout: 300_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await page.getByRole('button', { name: 'Explorer' }).click();
    await page.selectOption('#explore-target', 'raft-figure8-broken');
    // The preset's bounds and its directed search come with it.
    assert.equal(await page.locator('#explore-crashes').inputValue(), '3');
    assert.equal(await page.locator('#explore-in-flight').inputValue(), '3');
    assert.ok(await page.locator('#explore-directed').isChecked(), 'the directed search is chosen');
    await page.click('#explore-start');
    await page.waitForSelector('#explore-result', { timeout: 280_000 });
    const result = await page.locator('#explore-result').textContent();
    console.log(`Figure 8: ${result}`);
    assert.match(result, /^Violated: state machine safety, after \d+ steps \(directed search; /);
    const steps = await page.locator('.explorer-steps').textContent();
    assert.match(steps, /a client asks n0: put x=1/);
    assert.match(steps, /crashes/);
    await app.screenshot('explorer-figure8');
    await page.click('#explore-play');
    let s = await state(page);
    assert.equal(s.overlay, 'none', 'the dialog closes');
    assert.equal(s.playing, true, 'the counterexample plays');
    s = await until(page, (s) => s.violation !== null, 'the replay to break state machine safety', 60_000);
    console.log(`replayed: ${s.violation}`);
    assert.match(s.violation, /^state machine safety/);
    await page.waitForFunction(() => /Invariant broken: state machine safety/.test(document.getElementById('notice')?.textContent ?? ''), null, { timeout: 10_000 });
    await app.screenshot('explorer-figure8-replayed');
    assertClean(app);
  } finally {
    await app.close();
  }
});

// Permalinks, embeds and the documentation site in a real browser: the
// URL follows the run, a link opened in a fresh browser shows the same run
// to the trace hash, bad links say so, embeds show only the canvas and a
// bar, and nothing in a link ever becomes markup.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appUrl, openApp } from './harness.mjs';
import { blur, setSpeed, assertClean } from './steps.mjs';

/** The app's state, as JSON (in a page or a frame). */
function state(target) {
  return target.evaluate(() => window.splitbrain.state());
}

async function ready(target) {
  await target.waitForFunction(() => window.splitbrain?.state, null, { timeout: 30_000 });
}

async function until(target, predicate, what, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await state(target);
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}; last state: ${JSON.stringify(last).slice(0, 600)}`);
}

async function nodeAt(page, i) {
  const s = await state(page);
  return { x: s.canvas.left + s.nodes[i].x, y: s.canvas.top + s.nodes[i].y };
}

async function dragNode(page, i, to) {
  const from = await nodeAt(page, i);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let k = 1; k <= 12; k++) {
    await page.mouse.move(from.x + ((to.x - from.x) * k) / 12, from.y + ((to.y - from.y) * k) / 12);
  }
  await page.mouse.up();
}

/** The fragment once the page has written the run's current link into it. */
async function settledHash(page) {
  // The address follows the run about once a second; two equal readings
  // over more than a second mean it has caught up with a paused run.
  let previous = '';
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(1_200);
    const hash = await page.evaluate(() => location.hash);
    if (hash.length > 1 && hash === previous) return hash;
    previous = hash;
  }
  assert.fail('the address never settled');
}

test('act, and the link opened in a fresh browser shows the same run at the same time', { timeout: 120_000 }, async () => {
  const app = await openApp();
  let fresh;
  try {
    const { page } = app;
    await ready(page);
    const historyBefore = await page.evaluate(() => history.length);
    await setSpeed(page, 1);
    await until(page, (s) => s.leader !== null, 'a leader');
    // A partition (drag two nodes to a corner) and a crash (click, C).
    const s0 = await state(page);
    await dragNode(page, 3, { x: s0.canvas.left + 60, y: s0.canvas.top + s0.canvas.height - 60 });
    await dragNode(page, 4, { x: s0.canvas.left + 110, y: s0.canvas.top + s0.canvas.height - 60 });
    await until(page, (s) => new Set(s.groups).size === 2, 'the partition');
    const at = await nodeAt(page, 0);
    await page.mouse.click(at.x, at.y);
    await page.keyboard.press('c');
    await until(page, (s) => !s.nodes[0].up, 'node 0 down');
    await page.waitForTimeout(500);
    await blur(page);
    await page.keyboard.press(' ');
    const paused = await until(page, (s) => !s.playing, 'paused');
    const hash = await settledHash(page);
    assert.equal(await page.evaluate(() => history.length), historyBefore, 'no history entries added');

    fresh = await openApp({ path: hash });
    await ready(fresh.page);
    const opened = await state(fresh.page);
    assert.equal(opened.nowMicros, paused.nowMicros);
    assert.equal(opened.traceHash, paused.traceHash);
    assert.equal(opened.playing, false);
    assert.equal(opened.speed, 1);
    assert.deepEqual(opened.groups, paused.groups);
    assert.equal(opened.nodes[0].up, false);
    assert.equal(opened.notice, null);
    assertClean(app);
    assertClean(fresh);
  } finally {
    await app.close();
    await fresh?.close();
  }
});

test('Copy link copies the address of the run, with feedback', { timeout: 60_000 }, async () => {
  const app = await openApp();
  try {
    const { page, context, origin } = app;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await ready(page);
    await blur(page);
    await page.keyboard.press('l'); // steady requests: actions in the link
    await page.waitForTimeout(800);
    // Reached and pressed from the keyboard.
    await page.locator('#copy-link').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Link copied' }).waitFor({ timeout: 5_000 });
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, new RegExp(`^${origin}/#[A-Za-z0-9_-]+$`));
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('a reload keeps the work, and so does the bare address (local storage)', { timeout: 90_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await setSpeed(page, 1);
    await until(page, (s) => s.nowMicros > 500_000, 'half a second');
    const at = await nodeAt(page, 2);
    await page.mouse.click(at.x, at.y);
    await page.keyboard.press('c');
    await blur(page);
    await page.keyboard.press(' ');
    const before = await until(page, (s) => !s.playing && !s.nodes[2].up, 'node 2 down, paused');
    await settledHash(page);

    await page.reload();
    await ready(page);
    let after = await state(page);
    assert.equal(after.traceHash, before.traceHash);
    assert.equal(after.nodes[2].up, false);

    // No fragment at all: the last run comes back from local storage.
    await page.goto(appUrl());
    await ready(page);
    after = await state(page);
    assert.equal(after.traceHash, before.traceHash);
    assert.equal(after.nowMicros, before.nowMicros);
    assertClean(app);
  } finally {
    await app.close();
  }
});

for (const [what, hash, message] of [
  ['a truncated link', '#AQALDgKA6jAAAQIDB', /cut short/],
  ['a link from a newer version', '#CQA', /newer Splitbrain/],
  ['a corrupted link', '#AQALAwEAYw', /damaged \(unknown action 99\)/],
  ['a hand-edited link', '#AQAL<b>hi</b>', /not part of a Splitbrain link/],
  ['a huge link', `#${'A'.repeat(70_000)}`, /too long/],
]) {
  test(`${what} says so and the default run goes on`, { timeout: 60_000 }, async () => {
    const app = await openApp({ path: hash });
    try {
      const { page } = app;
      await ready(page);
      const notice = page.locator('#notice');
      await notice.waitFor({ timeout: 10_000 });
      assert.match(await notice.innerText(), message);
      assert.match(await notice.innerText(), /default run/);
      const s = await until(page, (s) => s.nowMicros > 0, 'time to advance');
      assert.equal(s.nodes.length, 5);
      assert.equal(s.seed, 1);
      assert.equal(await page.locator('.topbar').count(), 1, 'the full app');
      assertClean(app);
    } finally {
      await app.close();
    }
  });
}

/** Loads a scenario through the Scenario dialog, like a person pasting JSON. */
async function loadScenario(page, scenario) {
  await page.getByRole('button', { name: 'Scenario' }).click();
  await page.locator('textarea[aria-label="Scenario JSON"]').fill(JSON.stringify(scenario));
  await page.getByRole('button', { name: 'Load this scenario' }).click();
}

const HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold</b>';

test('the Embed button gives a snippet; the embed shows only canvas and bar, and the title as text', { timeout: 120_000 }, async () => {
  const app = await openApp();
  let embed;
  try {
    const { page } = app;
    await ready(page);
    await loadScenario(page, {
      title: HOSTILE,
      protocol: { name: 'raft' },
      nodes: 3,
      seed: 5,
      actions: [{ at: '600ms', action: { kind: 'crash', node: 1 } }],
    });
    await until(page, (s) => s.nodes.length === 3, 'the loaded scenario');
    // The tab's title names the scenario, as text.
    await page.waitForFunction((t) => document.title === `${t} · Splitbrain`, HOSTILE, { timeout: 5_000 });

    await page.locator('#embed-open').click();
    await page.locator('#embed-loop').check();
    const snippet = await page.locator('#embed-snippet').inputValue();
    assert.match(snippet, /^<iframe src="[^"]+#[A-Za-z0-9_-]+" width="640" height="400" title="Splitbrain: &lt;script&gt;/);
    const src = snippet.match(/src="([^"]+)"/)[1];
    await page.locator('#embed-copy').focus();
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('.embed-dialog').count(), 0, 'Escape closes the dialog');

    embed = await openApp({ path: src.slice(src.indexOf('#')), viewport: { width: 420, height: 260 } });
    const ep = embed.page;
    await ready(ep);
    assert.equal(await ep.locator('.topbar').count(), 0, 'no top bar');
    assert.equal(await ep.locator('.side').count(), 0, 'no side panels');
    assert.equal(await ep.locator('#cluster').count(), 1);
    assert.equal(await ep.locator('.embed-bar').count(), 1);
    const title = ep.locator('#embed-title');
    assert.equal(await title.textContent(), HOSTILE);
    assert.equal(await ep.locator('.embed-bar b, .embed-bar img, .embed-bar script').count(), 0);
    assert.equal(await ep.evaluate(() => window.__pwned), undefined);
    await until(ep, (s) => s.nowMicros > 100_000 && s.nodes.length === 3, 'the embed to play');
    // It fits its frame: canvas and bar inside the viewport, at any size.
    for (const viewport of [{ width: 420, height: 260 }, { width: 1000, height: 700 }, { width: 240, height: 160 }]) {
      await ep.setViewportSize(viewport);
      await ep.waitForTimeout(300);
      const canvas = await ep.locator('#cluster').boundingBox();
      const bar = await ep.locator('.embed-bar').boundingBox();
      assert.ok(canvas.width > 100 && canvas.height > 40, `canvas at ${JSON.stringify(viewport)}: ${JSON.stringify(canvas)}`);
      assert.ok(bar.y + bar.height <= viewport.height + 1, `bar inside at ${JSON.stringify(viewport)}`);
      assert.ok(canvas.x + canvas.width <= viewport.width + 1);
    }
    // The URL of an embed is left alone: it is not the embedding page's to change.
    const hash = await ep.evaluate(() => location.hash);
    await ep.waitForTimeout(1_500);
    assert.equal(await ep.evaluate(() => location.hash), hash);
    await embed.screenshot('embed-small');
    assertClean(app);
    assertClean(embed);
  } finally {
    await app.close();
    await embed?.close();
  }
});

test('a docs page runs its embedded scenarios, independently, with nothing off-origin', { timeout: 120_000 }, async () => {
  const app = await openApp({ path: 'docs/raft.html' });
  try {
    const { page } = app;
    const frames = page.locator('iframe[src*="index.html#"]');
    // The Raft page embeds the first election, the stale leader, and the
    // disruptive server without and with PreVote and CheckQuorum; the first
    // two are enough to show that embeds run independently.
    assert.equal(await frames.count(), 4, 'four embeds on the Raft page');
    const [a, b] = await Promise.all([0, 1].map(async (i) => {
      const handle = await frames.nth(i).elementHandle();
      await handle.scrollIntoViewIfNeeded();
      return handle.contentFrame();
    }));
    await ready(a);
    await ready(b);
    await until(a, (s) => s.nowMicros > 50_000, 'the first embed to run');
    await until(b, (s) => s.nowMicros > 50_000, 'the second embed to run');
    // Pause the first from its own bar; the second runs on.
    await a.locator('#play').click();
    const stopped = await until(a, (s) => !s.playing, 'the first embed paused');
    const other = await state(b);
    await page.waitForTimeout(1_500);
    assert.equal((await state(a)).nowMicros, stopped.nowMicros, 'the paused embed stays');
    assert.ok((await state(b)).nowMicros > other.nowMicros, 'the other runs on');
    assert.ok((await state(b)).playing);
    await app.screenshot('docs-raft');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('a protocol option switched in Parameters changes the scenario and survives the link', { timeout: 120_000 }, async () => {
  const app = await openApp();
  let fresh;
  try {
    const { page } = app;
    await ready(page);
    await page.getByRole('button', { name: 'Parameters' }).click();
    // The dialog lists the options the protocol's descriptor gives.
    const preVote = page.locator('[data-option=pre_vote] input[type=checkbox]');
    assert.equal(await preVote.isChecked(), false, 'off by default');
    await preVote.check();
    await page.locator('[data-option=reads] select').selectOption({ label: 'ReadIndex' });
    await page.getByRole('button', { name: 'Apply and restart' }).click();
    const protocol = JSON.parse(await page.evaluate(() => window.splitbrain.branchScenario())).protocol;
    assert.equal(protocol.pre_vote, true);
    assert.equal(protocol.reads, 'read-index');
    assert.equal(protocol.check_quorum, undefined, 'options left off stay out of the scenario');
    await setSpeed(page, 1);
    await until(page, (s) => s.leader !== null, 'a leader');
    await blur(page);
    await page.keyboard.press(' ');
    const paused = await until(page, (s) => !s.playing, 'paused');
    const hash = await settledHash(page);

    fresh = await openApp({ path: hash });
    await ready(fresh.page);
    const opened = await state(fresh.page);
    assert.equal(opened.traceHash, paused.traceHash);
    const again = JSON.parse(await fresh.page.evaluate(() => window.splitbrain.branchScenario())).protocol;
    assert.deepEqual(again, protocol);
    await fresh.page.getByRole('button', { name: 'Parameters' }).click();
    assert.equal(await fresh.page.locator('[data-option=pre_vote] input[type=checkbox]').isChecked(), true);
    assert.equal(
      await fresh.page.locator('[data-option=reads] select').evaluate((s) => s.selectedOptions[0].textContent),
      'ReadIndex',
    );
    assertClean(app);
    assertClean(fresh);
  } finally {
    await app.close();
    await fresh?.close();
  }
});

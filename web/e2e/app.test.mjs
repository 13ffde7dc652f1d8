// The app in a real browser: a person's gestures and keys, checked against
// the state the page exposes for tests (window.splitbrain.state()), never
// against pixels alone.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { state, ready, until, blur, setSpeed, assertClean } from './steps.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCENARIOS = new URL('../scenarios/', import.meta.url);

/** The app's state, as JSON. */
/** Waits until the app is up and its test hook answers. */
/** Polls the state until `predicate` holds; fails with `what` after `timeout` ms. */
/** Moves the pointer off any control, so keys go to the page. */
/** Sets the speed with the + and - keys. */
/** Page coordinates of node `i`'s centre. */
async function nodeAt(page, i) {
  const s = await state(page);
  return { x: s.canvas.left + s.nodes[i].x, y: s.canvas.top + s.nodes[i].y };
}

/** Drags node `i` to page point `to` with real mouse events. */
async function dragNode(page, i, to) {
  const from = await nodeAt(page, i);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  const steps = 12;
  for (let k = 1; k <= steps; k++) {
    await page.mouse.move(from.x + ((to.x - from.x) * k) / steps, from.y + ((to.y - from.y) * k) / steps);
  }
  await page.mouse.up();
}

async function clickNode(page, i) {
  const at = await nodeAt(page, i);
  await page.mouse.click(at.x, at.y);
}

/** Checks what every test must leave clean: no errors, nothing off-origin. */
test('the page loads cleanly and a leader is elected', { timeout: 60_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    assert.match(await page.title(), /Splitbrain/);
    const first = await state(page);
    assert.equal(first.nodes.length, 5);
    assert.equal(first.speed, 0.1, 'a watchable default speed');
    await setSpeed(page, 1);
    const s = await until(page, (s) => s.leader !== null, 'a leader');
    assert.equal(s.nodes[s.leader].role, 'leader');
    // The invariants panel lists Raft's seven invariants (the paper's
    // five, one configuration change at a time, snapshot safety), all
    // holding.
    const rows = page.locator('[data-invariant]');
    assert.equal(await rows.count(), 7);
    assert.equal(await page.locator('[data-holds="false"]').count(), 0);
    await app.screenshot('app-first-leader');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('dragging two nodes away: the minority cannot commit, the majority can, and heal converges', { timeout: 120_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await setSpeed(page, 1);
    let s = await until(page, (s) => s.leader !== null, 'a first leader');
    // The harder case: the leader itself goes to the minority, with one
    // follower, and keeps believing it leads.
    const oldLeader = s.leader;
    // Its term now: the minority's terms climb as it keeps failing to
    // elect, so a new majority leader is recognised by this one.
    const oldTerm = s.nodes[oldLeader].term;
    const minority = [oldLeader, (oldLeader + 1) % 5];
    const majority = [0, 1, 2, 3, 4].filter((n) => !minority.includes(n));
    const { left, top, height } = s.canvas;
    await dragNode(page, minority[0], { x: left + 70, y: top + height - 120 });
    await dragNode(page, minority[1], { x: left + 165, y: top + height - 75 });

    s = await state(page);
    assert.equal(s.groups[minority[0]], s.groups[minority[1]], 'the two dragged nodes form one group');
    for (const m of majority) assert.notEqual(s.groups[m], s.groups[minority[0]], `n${m} is cut off from the minority`);
    assert.equal(new Set(majority.map((m) => s.groups[m])).size, 1, 'the other three stay together');

    s = await until(
      page,
      (s) => majority.some((m) => s.nodes[m].role === 'leader' && s.nodes[m].term > oldTerm),
      'a leader in the majority',
    );
    const newLeader = majority.find((m) => s.nodes[m].role === 'leader' && s.nodes[m].term > oldTerm);
    const minorityCommits = minority.map((m) => s.nodes[m].commitIndex);
    const majorityCommit = s.nodes[newLeader].commitIndex;

    // A client request to each side, sent the way a person would: select
    // the node, press R.
    await clickNode(page, minority[0]);
    await page.keyboard.press('r');
    await clickNode(page, newLeader);
    await page.keyboard.press('r');
    const sent = (await state(page)).nowMicros;
    s = await until(page, (s) => s.nowMicros > sent + 1_000_000, 'a simulated second to pass');

    minority.forEach((m, k) =>
      assert.equal(s.nodes[m].commitIndex, minorityCommits[k], `minority node n${m} committed`),
    );
    assert.ok(s.nodes[newLeader].commitIndex > majorityCommit, 'the majority leader did not commit');
    for (const m of majority) {
      assert.ok(s.nodes[m].commitIndex > majorityCommit, `majority node n${m} did not learn the commit`);
    }
    await app.screenshot('app-partition');

    await page.getByRole('button', { name: 'Heal' }).click();
    s = await until(
      page,
      (s) =>
        s.groups.every((g) => g === 0) &&
        s.nodes.every((n) => n.logHash === s.nodes[0].logHash && n.commitIndex === s.nodes[0].commitIndex),
      'every log to converge after heal',
    );
    assert.ok(s.nodes[0].commitIndex > majorityCommit);
    await app.screenshot('app-healed');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('crashing the leader leads to a new leader', { timeout: 60_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await setSpeed(page, 1);
    let s = await until(page, (s) => s.leader !== null, 'a first leader');
    const old = s.leader;
    await clickNode(page, old);
    await page.keyboard.press('c');
    s = await state(page);
    assert.equal(s.nodes[old].role, 'down');
    assert.equal(s.nodes[old].up, false);
    s = await until(page, (s) => s.leader !== null && s.leader !== old, 'a new leader');
    assert.ok(s.nodes[s.leader].term > s.nodes[old].term);
    // Restart it from its menu: right-click, then the menu's first item.
    const at = await nodeAt(page, old);
    await page.mouse.click(at.x, at.y, { button: 'right' });
    assert.equal((await state(page)).menu, 'node');
    await page.getByRole('menuitem', { name: `Restart n${old}` }).click();
    s = await until(page, (s) => s.nodes[old].up, 'the old leader to restart');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('keyboard shortcuts work and are listed in the help', { timeout: 60_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await blur(page);

    await page.keyboard.press(' ');
    let s = await state(page);
    assert.equal(s.playing, false, 'Space pauses');
    const events = s.events;
    await page.keyboard.press('ArrowRight');
    s = await state(page);
    assert.ok(s.events > events, '→ steps');
    await page.keyboard.press('.');
    assert.ok((await state(page)).events > s.events, '. steps');

    await page.keyboard.press('+');
    assert.equal((await state(page)).speed, 0.2, '+ is faster');
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    assert.equal((await state(page)).speed, 0.05, '- is slower');

    await page.keyboard.press('?');
    assert.equal((await state(page)).overlay, 'help');
    const dialog = page.getByRole('dialog');
    assert.ok(await dialog.isVisible());
    assert.match(await dialog.innerText(), /Crash or restart the selected node/);
    await page.keyboard.press('Escape');
    assert.equal((await state(page)).overlay, 'none', 'Esc closes the help');

    // Tab reaches the cluster view; arrows move the selection there.
    await page.focus('#cluster');
    await page.keyboard.press('ArrowRight');
    assert.equal((await state(page)).selected, 0);
    await page.keyboard.press('ArrowRight');
    assert.equal((await state(page)).selected, 1);
    await page.keyboard.press('ArrowLeft');
    assert.equal((await state(page)).selected, 0);
    await page.keyboard.press('Enter');
    assert.equal((await state(page)).menu, 'node', 'Enter opens the node menu');
    await page.keyboard.press('Escape');
    assert.equal((await state(page)).menu, null);

    // T forces the selected node's election timeout: it runs for leader.
    const term = (await state(page)).nodes[0].term;
    await page.focus('#cluster');
    await page.keyboard.press('t');
    s = await state(page);
    assert.equal(s.nodes[0].role, 'candidate');
    assert.equal(s.nodes[0].term, term + 1);

    await page.keyboard.press('c');
    assert.equal((await state(page)).nodes[0].up, false, 'C crashes');
    await page.keyboard.press('c');
    assert.equal((await state(page)).nodes[0].up, true, 'C restarts');

    await page.keyboard.press('l');
    assert.equal((await state(page)).steadyLoad, true, 'L starts steady requests');

    await page.keyboard.press('h');
    assert.match((await state(page)).notice ?? '', /Nothing to heal/);

    const seed = (await state(page)).seed;
    await page.keyboard.press('n');
    assert.notEqual((await state(page)).seed, seed, 'N picks a new seed');

    await blur(page);
    await page.keyboard.press(' ');
    assert.equal((await state(page)).playing, true, 'Space plays');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('a cluster size outside 1 to 51 is refused with a message', { timeout: 60_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    const size = page.getByLabel('Cluster size');
    await size.fill('60');
    await size.press('Enter');
    await size.blur();
    let s = await state(page);
    assert.equal(s.nodes.length, 5);
    assert.match(s.notice, /from 1 to 51/);
    assert.match(await page.locator('#notice').innerText(), /from 1 to 51/);
    await size.fill('7');
    await size.press('Enter');
    await size.blur();
    s = await until(page, (s) => s.nodes.length === 7, 'seven nodes');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('a broken invariant pauses the run and is shown in red', { timeout: 90_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    await page.getByRole('button', { name: 'Scenario' }).click();
    await page.getByRole('button', { name: 'Broken Raft (Figure 8)' }).click();
    await setSpeed(page, 1000);
    const s = await until(page, (s) => s.violation !== null, 'the checker to catch the broken Raft', 60_000);
    assert.equal(s.playing, false, 'the run paused');
    assert.match(s.violation, /leader completeness|state machine safety|log matching/);
    assert.equal(await page.locator('[data-holds="false"]').count(), 1);
    assert.ok(await page.locator('.violation').isVisible());
    await app.screenshot('app-violation');
    assertClean(app);
  } finally {
    await app.close();
  }
});

/**
 * The CLI's trace hash for a scenario. A CLI that fails (a status other
 * than 0, or 1 for a broken invariant) or prints no hash fails the test:
 * a skipped scenario would be a comparison that silently did not happen.
 */
function cliHash(file, until) {
  const args = ['run', fileURLToPath(new URL(file, SCENARIOS)), '--until', until];
  // Through cargo, so a binary left over from an older build can never be
  // compared with a fresh wasm build.
  const run = spawnSync('cargo', ['run', '--quiet', '--release', '-p', 'splitbrain-cli', '--', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.ok(!run.error, `${file}: the CLI did not start: ${run.error}`);
  assert.ok(run.status === 0 || run.status === 1, `${file}: the CLI failed (status ${run.status}): ${run.stderr}`);
  const match = /^trace hash: ([0-9a-f]{16})$/m.exec(run.stdout ?? '');
  assert.ok(match, `${file}: the CLI printed no trace hash: ${run.stdout} ${run.stderr}`);
  return match[1];
}

test('every shipped scenario gives the same trace hash in the browser as in the CLI', { timeout: 600_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    // Every file but the gallery's index is a scenario, of any protocol.
    const files = readdirSync(SCENARIOS)
      .filter((f) => f.endsWith('.json') && f !== 'gallery.json')
      .sort();
    assert.ok(files.length >= 30, `only ${files.length} scenario files found`);
    let compared = 0;
    for (const file of files) {
      const json = readFileSync(new URL(file, SCENARIOS), 'utf8');
      assert.ok(JSON.parse(json)?.protocol?.name, `${file}: no protocol`);
      const native = cliHash(file, '3s');
      const browser = await page.evaluate(([json, until]) => window.splitbrain.runScenario(json, until), [json, 3_000_000]);
      assert.equal(browser, native, `${file}: browser and CLI disagree`);
      console.log(`# ${file}: trace hash ${browser} in both`);
      compared++;
    }
    assert.equal(compared, files.length, 'every scenario compared');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('on a phone held upright the panels go below and the canvas is crisp', { timeout: 60_000 }, async () => {
  const app = await openApp({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, hasTouch: true, isMobile: true });
  try {
    const { page } = app;
    await ready(page);
    await until(page, (s) => s.leader !== null, 'a leader', 30_000);
    const layout = await page.evaluate(() => {
      const canvas = document.getElementById('cluster');
      const side = document.querySelector('.side').getBoundingClientRect();
      const view = canvas.getBoundingClientRect();
      return {
        backing: canvas.width,
        css: canvas.clientWidth,
        dpr: devicePixelRatio,
        sideTop: side.top,
        canvasBottom: view.bottom,
        scrollWidth: document.documentElement.scrollWidth,
      };
    });
    assert.equal(layout.dpr, 3);
    assert.equal(layout.backing, Math.round(layout.css * 3), 'the canvas is drawn at device resolution');
    assert.ok(layout.sideTop >= layout.canvasBottom, 'the side panel is below the canvas');
    assert.ok(layout.scrollWidth <= 390, 'nothing overflows sideways');
    // A tap selects a node.
    const at = await nodeAt(page, 2);
    await page.touchscreen.tap(at.x, at.y);
    assert.equal((await state(page)).selected, 2);
    await app.screenshot('app-phone');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('the theme follows the system and toggles', { timeout: 60_000 }, async () => {
  const app = await openApp({ colorScheme: 'dark' });
  try {
    const { page } = app;
    await ready(page);
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    assert.equal(await theme(), 'dark');
    await page.waitForTimeout(1500);
    await app.screenshot('app-dark');
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    assert.equal(await theme(), 'light');
    assertClean(app);
  } finally {
    await app.close();
  }
});

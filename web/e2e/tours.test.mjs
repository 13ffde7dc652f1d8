// Tours: a gallery scenario with captions pinned to simulated times.
// Playing stops exactly at each caption and shows it; Continue plays on to
// the next; Previous and Next move between captions through the timeline;
// a person writes a caption, copies the link, and a fresh page shows it.
// Checked against window.splitbrain.state() and the page's text.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { state, ready, until, blur, setSpeed, assertClean, openEntry } from './steps.mjs';


const captionText = (page) => page.locator('.tour .caption-text').textContent();
const captionMeta = (page) => page.locator('.tour .caption-meta').textContent();

test('a captioned scenario pauses at each caption; continue, previous and next move through the tour', { timeout: 120_000 }, async () => {
  const app = await openApp();
  let fresh;
  try {
    const { page, context, origin } = app;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await ready(page);
    await blur(page);
    await page.keyboard.press('g');
    let s = await openEntry(page, 'raft-minority-leader');
    assert.equal(s.gallery, 'raft-minority-leader');
    assert.equal(s.nowMicros, 2_000_000, 'at the moment to watch');
    // The moment has its caption.
    assert.match(await captionMeta(page), /^Caption 5 of 8/);
    assert.match(await captionText(page), /^Two leaders\./);

    // Back one caption, through the timeline.
    await page.getByRole('button', { name: '◀ Previous' }).click();
    s = await until(page, (s) => s.nowMicros === 1_500_000, 'the previous caption');
    assert.equal(s.playing, false);
    assert.match(await captionText(page), /^Two clients write at once/);

    // Play: it stops exactly at the next caption and shows it.
    await setSpeed(page, 1);
    await page.keyboard.press(' ');
    s = await until(page, (s) => !s.playing && s.nowMicros > 1_500_000, 'the pause at the next caption');
    assert.equal(s.nowMicros, 2_000_000, 'stopped exactly at the caption, not past it');
    assert.match(await captionText(page), /^Two leaders\./);
    const cont = page.getByRole('button', { name: 'Continue' });
    assert.equal(await cont.isEnabled(), true, 'Continue is offered at a caption');

    // Continue: on to the next caption.
    await cont.click();
    s = await until(page, (s) => !s.playing && s.nowMicros > 2_000_000, 'the pause at the caption after');
    assert.equal(s.nowMicros, 3_500_000, 'exactly at the caption, past silent events');
    assert.match(await captionText(page), /^The client of x=1 gives up/);
    assert.equal(s.nodes[1].roleLabel, 'leader', 'the stale leader still believes it leads');

    // Previous goes back; } (next) forward again.
    await page.getByRole('button', { name: '◀ Previous' }).click();
    await until(page, (s) => s.nowMicros === 2_000_000, 'back at the previous caption');
    assert.match(await captionText(page), /^Two leaders\./);
    await blur(page);
    await page.keyboard.press('}');
    await until(page, (s) => s.nowMicros === 3_500_000, 'the next caption (key)');
    await page.keyboard.press('{');
    await until(page, (s) => s.nowMicros === 2_000_000, 'the previous caption (key)');

    // Write a caption here. Markup in it stays text.
    await page.getByRole('button', { name: 'Next ▶' }).click();
    await until(page, (s) => s.nowMicros === 3_500_000, 'the next caption (button)');
    await page.locator('.tour-edit summary').click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await until(page, (s) => !s.playing && s.nowMicros === 4_000_000, 'the heal caption');
    await setSpeed(page, 0.1);
    await page.keyboard.press(' ');
    await page.waitForTimeout(300);
    await page.keyboard.press(' ');
    s = await until(page, (s) => !s.playing, 'paused between captions');
    assert.ok(s.nowMicros > 4_000_000 && s.nowMicros < 4_200_000, `${s.nowMicros}`);
    const mine = 'My note: <b>n1</b> steps down & follows n4';
    await page.getByLabel('Caption text').fill(mine);
    await page.getByRole('button', { name: /^Add caption here/ }).click();
    await page.locator('.tour .caption-meta', { hasText: 'Caption 8 of 9' }).waitFor({ timeout: 5_000 });
    assert.equal(await captionText(page), mine);
    assert.equal(await page.locator('.tour .caption-text b').count(), 0, 'never markup');

    // Copy the link; a fresh page opens the run with the caption on screen.
    await page.locator('#copy-link').click();
    await page.getByRole('status').filter({ hasText: 'Link copied' }).waitFor({ timeout: 5_000 });
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const hash = new URL(copied).hash;
    assert.ok(hash.length > 1, copied);
    fresh = await openApp({ path: hash });
    await ready(fresh.page);
    const opened = await state(fresh.page);
    assert.equal(opened.nowMicros, s.nowMicros);
    assert.equal(opened.traceHash, s.traceHash);
    assert.equal(await captionText(fresh.page), mine);
    assert.match(await captionMeta(fresh.page), /^Caption 8 of 9/);
    await app.screenshot('tours-caption');
    // The keys are listed in the help.
    await blur(page);
    await page.keyboard.press('?');
    assert.match(await page.getByRole('dialog').innerText(), /Previous \/ next tour caption/);
    await page.keyboard.press('Escape');
    assertClean(app);
    assertClean(fresh);
  } finally {
    await app.close();
    await fresh?.close();
  }
});

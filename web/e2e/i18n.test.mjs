// Interface language: English and Simplified Chinese. Switching from the
// top bar changes the visible labels and <html lang>; the choice survives a
// reload (in the link) and the bare address (local storage); a link that
// carries a language opens in it, wins over local storage, and an embed
// made from it speaks it too. The top bar has no English left in Chinese.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appUrl, openApp } from './harness.mjs';
import { state, ready, until, assertClean } from './steps.mjs';

// The two-action run paused at 1.5 s with n3 selected, in Chinese: the
// pinned link of crates/app/src/link/tests.rs (PINNED_CHINESE).
const CHINESE_LINK = '#AQALDgKA6jAAAQIDBIC1GAYAEAPgxlsSAQEUAQMVAQE';

const htmlLang = (page) => page.evaluate(() => document.documentElement.lang);

// Names that stay as they are in Chinese text: the product, the protocols,
// the language's own name in the selector, the HTML element.
const KEPT = new Set(['Splitbrain', 'Raft', 'Paxos', 'Multi', 'Dynamo', 'Gossip', 'KV', 'English', 'iframe']);

/** Every word of two or more Latin letters the top bar shows or announces. */
async function topBarEnglish(page) {
  const texts = await page.evaluate(() => {
    const bar = document.querySelector('.topbar');
    const out = [bar.innerText];
    for (const el of bar.querySelectorAll('*')) {
      for (const attr of ['aria-label', 'title', 'aria-valuetext']) {
        const v = el.getAttribute(attr);
        if (v) out.push(v);
      }
    }
    for (const option of bar.querySelectorAll('option')) out.push(option.textContent);
    return out;
  });
  const words = texts.join(' ').match(/[A-Za-z]{2,}/g) ?? [];
  return [...new Set(words.filter((w) => !KEPT.has(w)))];
}

async function chooseLanguage(page, code) {
  await page.locator('#language').selectOption(code);
  await page.waitForFunction((c) => document.documentElement.lang === c, code, { timeout: 5_000 });
}

test('switching to Chinese changes the labels, and a reload and the bare address keep it', { timeout: 120_000 }, async () => {
  const app = await openApp();
  try {
    const { page } = app;
    await ready(page);
    // Headless Chromium reports en-US: the page starts in English.
    assert.equal(await htmlLang(page), 'en');
    assert.match(await page.locator('#step').textContent(), /Step/);
    assert.ok((await topBarEnglish(page)).includes('Heal'), 'the check sees English');

    await chooseLanguage(page, 'zh-Hans');
    assert.match(await page.locator('#step').textContent(), /单步/);
    assert.equal(await page.locator('#open-gallery').getAttribute('aria-label'), '场景库');
    assert.equal(await page.locator('#invariants-title').textContent(), '不变式');
    assert.equal(await page.locator('#events-title').textContent(), '事件');
    assert.match(await page.locator('.statusbar').innerText(), /事件/);
    assert.match(await page.locator('#board-title').textContent(), /Raft/);
    assert.deepEqual(await topBarEnglish(page), [], 'no English left in the top bar');

    // Dialogs too: the help and the gallery, with its entries' own texts.
    await page.keyboard.press('?');
    assert.equal(await page.locator('#dialog-title').textContent(), 'Splitbrain：帮助');
    await page.keyboard.press('Escape');
    await page.locator('#open-gallery').click();
    assert.match(
      await page.locator('[data-gallery="raft-election"]').innerText(),
      /Raft：第一次选举[\s\S]*五个跟随者/,
    );
    await page.keyboard.press('Escape');

    // The address follows the run once a second, language included.
    await page.waitForTimeout(1_500);
    await page.reload();
    await ready(page);
    assert.equal(await htmlLang(page), 'zh-Hans', 'a reload keeps Chinese');
    assert.match(await page.locator('#step').textContent(), /单步/);
    assert.equal(await page.locator('#language').inputValue(), 'zh-Hans');

    // The bare address, without the kept link: the pick in local storage.
    await page.evaluate(() => localStorage.removeItem('splitbrain.link.v1'));
    await page.goto(appUrl());
    await ready(page);
    assert.equal(await htmlLang(page), 'zh-Hans', 'local storage keeps Chinese');
    assert.match(await page.locator('#step').textContent(), /单步/);

    // And back: English again, everywhere.
    await chooseLanguage(page, 'en');
    assert.match(await page.locator('#step').textContent(), /Step/);
    assert.equal(await page.locator('#invariants-title').textContent(), 'Invariants');
    assert.equal(await page.evaluate(() => localStorage.getItem('splitbrain.lang')), 'en');
    assertClean(app);
  } finally {
    await app.close();
  }
});

test('a link with a language opens in it, wins over local storage, and its embed speaks it', { timeout: 120_000 }, async () => {
  const app = await openApp({ path: CHINESE_LINK });
  let embed;
  try {
    const { page } = app;
    await ready(page);
    assert.equal(await htmlLang(page), 'zh-Hans');
    const s = await state(page);
    assert.equal(s.nowMicros, 1_500_000, 'the run of the link');
    assert.equal(s.playing, false);
    assert.match(await page.locator('#inspector-title').textContent(), /节点/);
    assert.deepEqual(await topBarEnglish(page), [], 'no English left in the top bar');

    // Someone who picked English opens a Chinese link: the link wins.
    await page.evaluate(() => localStorage.setItem('splitbrain.lang', 'en'));
    await page.goto(new URL(CHINESE_LINK, appUrl()).href);
    await page.reload();
    await ready(page);
    assert.equal(await htmlLang(page), 'zh-Hans', 'the link wins over local storage');

    // The embed snippet of this run carries the language.
    await page.locator('#embed-open').click();
    assert.equal(await page.locator('#embed-title-h').textContent(), '嵌入本次运行');
    const snippet = await page.locator('#embed-snippet').inputValue();
    const src = snippet.match(/src="([^"]+)"/)[1];
    await page.keyboard.press('Escape');
    embed = await openApp({ path: src.slice(src.indexOf('#')), viewport: { width: 480, height: 300 } });
    await ready(embed.page);
    assert.equal(await htmlLang(embed.page), 'zh-Hans', 'the embed speaks the link language');
    assert.equal(await embed.page.locator('.embed-bar').getAttribute('aria-label'), '播放控制');
    await until(embed.page, (s) => s.nowMicros > 100_000, 'the embed to play');
    assertClean(embed);
    assertClean(app);
  } finally {
    await embed?.close();
    await app.close();
  }
});

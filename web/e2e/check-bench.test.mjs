// Consistency checking speed in the browser (wasm): the 70 Jepsen etcd
// histories and each key-value history of the corpus, checked through
// window.splitbrain.checkHistory. Printed, not asserted (it depends on the
// machine); the verdicts are asserted, since a fast wrong answer is no use.
// The native numbers come from `cargo bench -p splitbrain-core --bench check`.
//
// The corpus is read from $SPLITBRAIN_CORPUS, else ../shared/corpus next to
// the checkout; without it the test is skipped and says why.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { openApp } from './harness.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CORPUS = process.env.SPLITBRAIN_CORPUS || join(ROOT, '..', 'shared', 'corpus');
/** Porcupine's expected verdicts: these etcd histories are linearizable. */
const LINEARIZABLE_ETCD = new Set(
  '002 005 007 018 025 031 038 045 048 049 051 053 056 067'.split(' ').map((n) => `etcd_${n}.log`),
);

function files(dir, ext) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

test('checking the corpus histories in the browser', { timeout: 240_000 }, async (t) => {
  if (!existsSync(join(CORPUS, 'README.md'))) {
    t.skip(`corpus not found at ${CORPUS} (set SPLITBRAIN_CORPUS); no wasm checking numbers`);
    return;
  }
  const etcd = files(join(CORPUS, 'jepsen-etcd'), '.log');
  const kv = files(join(CORPUS, 'porcupine-kv'), '.txt');
  assert.equal(etcd.length, 70, 'the corpus has 70 etcd histories');

  const app = await openApp();
  try {
    const { page } = app;
    await page.waitForFunction(() => window.splitbrain?.checkHistory, null, { timeout: 30_000 });
    // Pause the live run so it does not compete for the core.
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press(' ');

    // All 70 etcd histories: the best of 5 rounds, each history checked 3
    // times per round (the mean of those is what checkHistory reports).
    const etcdRounds = await page.evaluate((histories) => {
      const rounds = [];
      for (let round = 0; round < 5; round++) {
        let check = 0;
        let parse = 0;
        const verdicts = {};
        const start = performance.now();
        for (const { name, text } of histories) {
          const r = window.splitbrain.checkHistory(text, 'jepsen-etcd', 3);
          check += r.checkMs;
          parse += r.parseMs;
          verdicts[name] = r.verdict;
        }
        rounds.push({ check, parse, wall: performance.now() - start, verdicts });
      }
      return rounds;
    }, etcd);
    const best = etcdRounds.reduce((a, b) => (b.check < a.check ? b : a));
    for (const { name } of etcd) {
      const expected = LINEARIZABLE_ETCD.has(name) ? 'holds' : 'violated';
      assert.equal(best.verdicts[name], expected, `${name} in wasm`);
    }
    console.log(
      `# wasm check: jepsen-etcd, all ${etcd.length} histories: check ${best.check.toFixed(2)} ms total, ` +
        `parse ${best.parse.toFixed(2)} ms total (best of ${etcdRounds.length} rounds)`,
    );

    for (const { name, text } of kv) {
      const r = await page.evaluate((text) => window.splitbrain.checkHistory(text, 'porcupine-kv', 200), text);
      const expected = name.includes('-ok') ? 'holds' : 'violated';
      assert.equal(r.verdict, expected, `${name} in wasm`);
      console.log(
        `# wasm check: porcupine-kv ${name}: ${r.ops} ops, ${r.verdict}, check ${r.checkMs.toFixed(3)} ms ` +
          `(mean of 200), parse ${r.parseMs.toFixed(2)} ms`,
      );
    }
    assert.deepEqual(app.consoleErrors, [], 'console errors');
  } finally {
    await app.close();
  }
});

// The first frame on a phone-like load: 1.6 Mbit/s down, 150 ms round
// trips, the CPU slowed 4x (Chromium's network and CPU emulation over CDP),
// the files served gzipped as any static host would, and no cache. Prints
// the time from navigation to the first drawn frame of the cluster and the
// gzipped bytes fetched before it; fails when those bytes are over the
// page's budget (the time is printed, not asserted: timing assertions make
// flaky tests, and `cargo xtask size` keeps the bytes honest).
//
// The frame is found without the app's help, so the same test measures any
// build: a script injected before the page's own wraps the 2D canvas's
// drawing calls and notes when the first one lands on a canvas the size of
// the cluster view; the frame counts as drawn at the animation frame after.
//
// Run by hand against another build:
//   SPLITBRAIN_DIST=/path/to/dist node --test web/e2e/first-frame.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, stat, mkdtemp, rm } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH, CHROMIUM_ARGS } from './harness.mjs';

const DIST = process.env.SPLITBRAIN_DIST || fileURLToPath(new URL('../../dist/', import.meta.url));

// What must arrive before the first frame: the html, css, js and the page's
// wasm, gzipped. The explorer worker, the check worker, the Chinese text
// and the gallery file are fetched on first use and do not count (and a
// worker's file requested before the frame fails the test). Issue 14's
// target is 350 KB (printed); what is asserted is the no-growth ceiling
// `cargo xtask test` holds the same files to (FIRST_LOAD_CEILING in
// xtask/src/size.rs, 685,000 B by gzip -9), plus 5,000 B because node's
// zlib at level 9 compresses the wasm about 0.8% less tightly than
// gzip(1) -9 (677,823 B against 672,722 B for the same file on
// 2026-12-03; 668,443 B counted here against 662,935 B by gzip -9 once
// the checker had moved into its worker, the same day).
const FIRST_LOAD_TARGET = 350_000;
const FIRST_LOAD_BUDGET = 690_000;

// A phone on a slow mobile network (Chrome DevTools' "Slow 4G"-like), as
// the issue specifies it.
const NETWORK = {
  offline: false,
  latency: 150,
  downloadThroughput: (1.6 * 1000 * 1000) / 8,
  uploadThroughput: (750 * 1000) / 8,
};
const CPU_SLOWDOWN = 4;
const RUNS = 3;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves `root` with gzip (level 9, as `cargo xtask size` counts it). */
async function gzipServer(root) {
  const cache = new Map();
  const server = createServer(async (req, res) => {
    try {
      let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (path.endsWith('/')) path += 'index.html';
      const file = normalize(join(root, path));
      if (!file.startsWith(normalize(root))) throw new Error('outside');
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      let body = cache.get(file);
      if (!body) {
        body = gzipSync(await readFile(file), { level: 9 });
        cache.set(file, body);
      }
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-encoding': 'gzip',
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

// Runs in the page before its own scripts.
function watchFirstDraw() {
  const proto = CanvasRenderingContext2D.prototype;
  const note = function () {
    if (window.__firstDraw === undefined && this.canvas.width >= 200 && this.canvas.height >= 150) {
      window.__firstDraw = performance.now();
      requestAnimationFrame(() => {
        window.__firstFrame = performance.now();
      });
    }
  };
  for (const name of ['fill', 'stroke', 'fillRect', 'strokeRect', 'fillText', 'drawImage', 'arc']) {
    const original = proto[name];
    proto[name] = function (...args) {
      note.call(this);
      return original.apply(this, args);
    };
  }
}

async function measureOnce(url) {
  const profile = await mkdtemp(join(tmpdir(), 'splitbrain-first-frame-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 412, height: 915 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.addInitScript(watchFirstDraw);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', NETWORK);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
    const fetched = new Map(); // requestId -> { url, bytes, end }
    cdp.on('Network.requestWillBeSent', (e) => fetched.set(e.requestId, { url: e.request.url, bytes: 0, end: null }));
    cdp.on('Network.loadingFinished', (e) => {
      const r = fetched.get(e.requestId);
      if (r) {
        r.bytes = e.encodedDataLength;
        r.end = e.timestamp;
      }
    });
    await page.goto(url, { waitUntil: 'commit', timeout: 120_000 });
    await page.waitForFunction(() => window.__firstFrame !== undefined, null, {
      timeout: 120_000,
      polling: 100,
    });
    // Navigation start is the time origin of performance.now(), and of
    // resource timing's responseEnd below.
    const frame = await page.evaluate(() => window.__firstFrame);
    // Everything that finished loading before the frame, by encoded size.
    const entries = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .concat(performance.getEntriesByType('navigation'))
        .map((e) => ({ name: e.name, start: e.startTime, end: e.responseEnd, size: e.encodedBodySize })),
    );
    const before = entries.filter((e) => e.end <= frame);
    const bytes = before.reduce((sum, e) => sum + e.size, 0);
    const wireBytes = [...fetched.values()].reduce((sum, r) => sum + r.bytes, 0);
    // The workers are fetched when first needed, never ahead of the frame.
    const early = entries
      .filter((e) => e.start < frame && /_worker/.test(new URL(e.name).pathname))
      .map((e) => new URL(e.name).pathname);
    return { frame, bytes, wireBytes, early, files: before.map((e) => `${new URL(e.name).pathname} ${e.size}`) };
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

test('first frame on a phone-like profile', { timeout: 600_000 }, async () => {
  const { server, url } = await gzipServer(DIST);
  try {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await measureOnce(url));
    const frames = runs.map((r) => r.frame).sort((a, b) => a - b);
    const median = frames[Math.floor(frames.length / 2)];
    const bytes = runs[0].bytes;
    console.log(
      `first frame (1.6 Mbit/s, 150 ms RTT, CPU ${CPU_SLOWDOWN}x slower, gzip): ` +
        `median ${median.toFixed(0)} ms of ${frames.map((f) => f.toFixed(0)).join(', ')}; ` +
        `${(bytes / 1000).toFixed(1)} KB gzipped fetched before it ` +
        `(${(runs[0].wireBytes / 1000).toFixed(1)} KB on the wire in all)`,
    );
    for (const f of runs[0].files) console.log(`  ${f}`);
    console.log(`target ${FIRST_LOAD_TARGET} B: ${bytes <= FIRST_LOAD_TARGET ? 'met' : `${bytes - FIRST_LOAD_TARGET} B over`}`);
    assert.ok(bytes > 0, 'nothing was fetched before the first frame: the measurement is broken');
    for (const r of runs) assert.deepEqual(r.early, [], 'worker files requested before the first frame');
    assert.ok(
      bytes <= FIRST_LOAD_BUDGET,
      `${bytes} bytes fetched before the first frame, over the ${FIRST_LOAD_BUDGET} byte budget`,
    );
  } finally {
    server.close();
  }
});

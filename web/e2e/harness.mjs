// Browser-test harness for Splitbrain: starts Chromium through Playwright,
// opens the app at $SPLITBRAIN_URL and records what a test needs to assert
// on: console errors, uncaught exceptions, failed requests (network errors
// and HTTP statuses >= 400), and every request URL (so a test can check that
// nothing leaves the page's origin). Closing fails the test if the app
// showed its fatal card (a panic or a wasm trap), whatever else passed.
//
// Run the tests with `cargo xtask test --only browser`: it builds the app,
// serves dist/ on a free local port and sets SPLITBRAIN_URL. By hand:
//   SPLITBRAIN_URL=http://127.0.0.1:8080/ node --test web/e2e/*.test.mjs

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

// Debian's Chromium: Playwright cannot download its own browsers here.
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps trying to reach
// Google's services, which a closed network refuses; --no-sandbox because
// CI runs as root.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Screenshots go here (gitignored).
export const RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));

/** The app's base URL, from SPLITBRAIN_URL. */
export function appUrl() {
  const url = process.env.SPLITBRAIN_URL;
  if (!url) {
    throw new Error(
      'SPLITBRAIN_URL is not set: run the browser tests with `cargo xtask test --only browser`',
    );
  }
  return url;
}

/**
 * Whether `url` stays on `origin`. data: and about: URLs never touch the
 * network; blob: URLs carry their creator's origin; WebSockets count as
 * same-origin when they go to the same host and port.
 */
export function isSameOrigin(url, origin) {
  if (url.startsWith('data:') || url.startsWith('about:')) return true;
  const target = new URL(url.startsWith('blob:') ? url.slice('blob:'.length) : url);
  const base = new URL(origin);
  if (target.protocol === 'ws:' || target.protocol === 'wss:') return target.host === base.host;
  return target.origin === base.origin;
}

/**
 * Launches Chromium with a fresh profile and opens `path` (relative to
 * SPLITBRAIN_URL). Returns the page plus what was recorded; always `close()`
 * it (in a `finally`), which also deletes the profile.
 */
export async function openApp({
  path = '',
  waitUntil = 'load',
  viewport,
  // Passed through to the browser context: a phone's pixel density, a
  // touch screen, a dark system theme.
  deviceScaleFactor,
  hasTouch,
  isMobile,
  colorScheme,
} = {}) {
  const base = new URL(appUrl());
  const origin = base.origin;
  const userDataDir = await mkdtemp(join(tmpdir(), 'splitbrain-chromium-'));

  let context;
  try {
    // A persistent context is how Playwright takes an explicit
    // --user-data-dir; a new temp dir keeps every run independent.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: viewport ?? { width: 1280, height: 800 },
      ...(deviceScaleFactor ? { deviceScaleFactor } : {}),
      ...(hasTouch ? { hasTouch } : {}),
      ...(isMobile ? { isMobile } : {}),
      ...(colorScheme ? { colorScheme } : {}),
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }

  const requests = [];
  const consoleErrors = [];
  const failedRequests = [];

  // Record every request; one that would leave the origin is also aborted,
  // so a test fails on it without any traffic leaving the machine.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    return isSameOrigin(url, origin) ? route.continue() : route.abort('blockedbyclient');
  });
  context.on('request', (request) => requests.push(request.url()));
  context.on('requestfailed', (request) =>
    failedRequests.push(`${request.url()}: ${request.failure()?.errorText ?? 'failed'}`),
  );
  context.on('response', (response) => {
    if (response.status() >= 400) failedRequests.push(`${response.url()}: HTTP ${response.status()}`);
  });

  const page = context.pages()[0] ?? (await context.newPage());
  page.on('websocket', (socket) => requests.push(socket.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const { url, lineNumber } = message.location();
      consoleErrors.push(`console.error: ${message.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.stack || error.message}`));

  let response;
  try {
    response = await page.goto(new URL(path, base).href, { waitUntil, timeout: 30_000 });
  } catch (error) {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }

  return {
    page,
    context,
    origin,
    response,
    requests,
    consoleErrors,
    failedRequests,
    /** Recorded request URLs that left (or tried to leave) the page's origin. */
    offOriginRequests() {
      return requests.filter((url) => !isSameOrigin(url, origin));
    },
    /** Saves a full-page screenshot as web/test-results/<name>.png; returns its path. */
    async screenshot(name) {
      await mkdir(RESULTS_DIR, { recursive: true });
      const file = join(RESULTS_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    /**
     * The page's fatal message (its `#fatal` card: a panic, or a wasm trap
     * such as an allocation failure), or null while the app runs.
     */
    async fatal() {
      if (page.isClosed()) return null;
      return page
        .evaluate(() => {
          const card = document.getElementById('fatal');
          if (!card || card.hidden) return null;
          return document.getElementById('fatal-message')?.textContent || 'the fatal card is shown';
        })
        .catch(() => null);
    },
    /** Closes the browser; fails if the app stopped with a fatal message. */
    async close() {
      let fatal = null;
      try {
        fatal = await this.fatal();
        await context.close();
      } finally {
        await rm(userDataDir, { recursive: true, force: true });
      }
      if (fatal && !this.fatalExpected) {
        throw new Error(`the app stopped with a fatal error: ${fatal}`);
      }
    },
  };
}

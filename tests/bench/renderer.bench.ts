import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { connectPage } from '../e2e/harness/bridge';
import { launchChromium } from '../e2e/harness/chromium';
import { type DesktopUnderTest, FAST_SETTINGS, startDesktop } from '../e2e/harness/desktop';
import { ensureRendererBuilt } from '../e2e/harness/renderer-build';
import { serveDir } from '../e2e/harness/static-server';
import { openPanel } from '../e2e/harness/ui';
import { closeRendererServer, openWindow, rendererUrl } from '../e2e/harness/window';
import type { Measure } from './run';

/**
 * The window's three numbers, measured on the built renderer in Debian's headless Chromium:
 * - renderer-bundle: the JavaScript the first paint needs (the entry chunk and what it imports
 *   statically; lazy panels excluded), gzip -9, beside all the JavaScript of the build;
 * - dashboard-first-render: navigation → the dashboard showing the server's checks, with window.api
 *   answered by the real router over a core polling the lab, beside an empty page's load (the floor);
 * - log-viewer: the Logs panel's animation frames while 10 000 lines/s arrive (to 100 000), beside a plain
 *   list that adds a DOM row per line. A frame's time is Chromium's own measure (its trace's AnimationFrame
 *   span: the script, style, layout and paint that made the frame), not the 60 Hz interval between frames.
 */

/** What the in-page functions below use of the page (this project's main tsconfig has no DOM types). */
interface PageGlobals {
  __firstRender?: number;
  document: {
    getElementById(id: string): PageElement;
    createElement(tag: string): PageElement;
  };
}
interface PageElement {
  textContent: string | null;
  scrollTop: number;
  scrollHeight: number;
  append(child: PageElement): void;
}

const FIRST_RENDER_ROUNDS = 9;
const LINES_PER_SECOND = 10_000;
const TOTAL_LINES = 100_000;
const BATCH_MS = 50;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Relative module specifiers a chunk imports statically (`import … from"./x.js"`, `import"./x.js"`). */
function staticImports(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/\bimport\s*(?:[\w*{}\s,$]+from\s*)?["'](\.\/[^"']+)["']/g))
    found.add(m[1] as string);
  return [...found];
}

async function bundle(dir: string): Promise<Measure> {
  const html = await readFile(join(dir, 'index.html'), 'utf8');
  const entry = /<script type="module"[^>]*src="\.\/([^"]+)"/.exec(html)?.[1];
  if (!entry) throw new Error('out/renderer/index.html has no module script');
  const initial = new Set<string>();
  const visit = async (file: string) => {
    if (initial.has(file)) return;
    initial.add(file);
    const code = await readFile(join(dir, file), 'utf8');
    const base = file.slice(0, file.lastIndexOf('/') + 1);
    for (const spec of staticImports(code)) await visit(base + spec.slice(2));
  };
  await visit(entry);
  const gz = async (files: Iterable<string>) => {
    let bytes = 0;
    for (const f of files) bytes += gzipSync(await readFile(join(dir, f)), { level: 9 }).length;
    return bytes / 1024;
  };
  const all = (await readdir(join(dir, 'assets'))).filter((n) => n.endsWith('.js')).map((n) => `assets/${n}`);
  return {
    name: 'renderer-bundle',
    gzip_kb: round(await gz(initial)),
    chunks: initial.size,
    all_js_gzip_kb: round(await gz(all)),
    goal_kb: 200,
  };
}

const FIRST_RENDER_SIGNAL = 'hst-bench: first render';

/**
 * Installed before the app's script: the time (since navigation) the dashboard first shows its checks. It
 * says so on the console, so the bench waits without waitForFunction, whose injected script would otherwise
 * be compiled and polled in the page while the app is still booting.
 */
const FIRST_RENDER_PROBE = `
  new MutationObserver((_, observer) => {
    const sentence = document.querySelector('[data-testid="overall-sentence"]');
    if (sentence && document.querySelector('[data-testid^="check-"]')) {
      window.__firstRender = performance.now();
      observer.disconnect();
      console.debug(${JSON.stringify(FIRST_RENDER_SIGNAL)});
    }
  }).observe(document, { childList: true, subtree: true });
`;

async function firstRender(browser: Browser, desktop: DesktopUnderTest): Promise<Measure> {
  const times: number[] = [];
  const floors: number[] = [];
  const emptyDir = await mkdtemp(join(tmpdir(), 'hst-empty-page-'));
  await writeFile(join(emptyDir, 'index.html'), '<!doctype html><title>empty</title><p>empty</p>');
  const empty = await serveDir(emptyDir);
  try {
    for (let i = 0; i < FIRST_RENDER_ROUNDS; i++) {
      const win = await openWindowWithProbe(browser, desktop);
      await win.rendered;
      times.push(await win.page.evaluate(() => (globalThis as unknown as PageGlobals).__firstRender ?? 0));
      await win.close();

      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(empty.url);
      floors.push(
        await page.evaluate(() => performance.getEntriesByType('navigation' as 'mark')[0]?.duration ?? 0),
      );
      await context.close();
    }
  } finally {
    await empty.close();
    await rm(emptyDir, { recursive: true, force: true });
  }
  return {
    name: 'dashboard-first-render',
    median_ms: round(median(times)),
    empty_page_median_ms: round(median(floors)),
    rounds: FIRST_RENDER_ROUNDS,
    goal_ms: 300,
  };
}

async function openWindowWithProbe(browser: Browser, desktop: DesktopUnderTest) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  await context.addInitScript({ content: FIRST_RENDER_PROBE });
  const page = await context.newPage();
  const bridge = await connectPage(page, desktop.router);
  const rendered = page.waitForEvent('console', { predicate: (m) => m.text() === FIRST_RENDER_SIGNAL });
  await page.goto(await rendererUrl());
  return {
    page,
    rendered,
    close: async () => {
      bridge.close();
      await context.close();
    },
  };
}

function journalLine(i: number): string {
  const s = String(i % 60).padStart(2, '0');
  return `Nov 26 14:31:${s} matrix matrix-tuwunel[4242]: 2026-11-26T14:31:${s}.123456Z  INFO main:run:sender: tuwunel_service::sending::sender: Sending queued PDU ${i} to matrix.org`;
}

/** Appends at LINES_PER_SECOND in batches of BATCH_MS (the router's logs.lines cadence) up to TOTAL_LINES. */
async function appendLines(push: (lines: string[]) => Promise<void>): Promise<void> {
  const perBatch = (LINES_PER_SECOND * BATCH_MS) / 1000;
  const started = performance.now();
  for (let sent = 0, n = 0; sent < TOTAL_LINES; n++) {
    const lines = Array.from({ length: perBatch }, (_, i) => journalLine(sent + i));
    sent += lines.length;
    await push(lines);
    const wait = started + (n + 1) * BATCH_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  pid: number;
  tid: number;
  id?: string;
  id2?: { local?: string };
  args?: { name?: string };
}

/**
 * The duration of every animation frame the page's main thread made while `feed` ran: Chromium's own
 * "AnimationFrame" spans (what the Long Animation Frames API reports), from the first task that led to
 * the frame to the end of its rendering — script, style, layout and paint of that frame.
 */
async function animationFrames(browser: Browser, page: Page, feed: () => Promise<void>): Promise<number[]> {
  await browser.startTracing(page, { categories: ['devtools.timeline', 'toplevel'] });
  await feed();
  const { traceEvents } = JSON.parse((await browser.stopTracing()).toString()) as {
    traceEvents: TraceEvent[];
  };
  const main = new Set(
    traceEvents
      .filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  );
  const begun = new Map<string, number>();
  const frames: number[] = [];
  for (const e of traceEvents) {
    if (e.name !== 'AnimationFrame' || !main.has(`${e.pid}:${e.tid}`)) continue;
    const key = `${e.pid}:${e.id ?? e.id2?.local}`;
    if (e.ph === 'b') begun.set(key, e.ts);
    else if (e.ph === 'e' && begun.has(key)) {
      frames.push((e.ts - (begun.get(key) as number)) / 1000);
      begun.delete(key);
    }
  }
  return frames;
}

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? 0;

async function logViewer(browser: Browser, desktop: DesktopUnderTest): Promise<Measure> {
  const win = await openWindow(browser, desktop.router);
  await win.page.getByRole('heading', { level: 1, name: 'lab.test' }).waitFor();
  await openPanel(win.page, 'Logs');
  // The stream is live once the journal's last lines arrived; its id is what the page listens for.
  await win.page
    .getByTestId('log-count')
    .getByText(/^[1-9][\d,]* lines · following$/)
    .waitFor();
  await win.bridge.drained();
  const stream = [...win.bridge.events].reverse().find((e) => e.channel === 'logs.lines')?.payload as
    | { streamId: string }
    | undefined;
  if (!stream) throw new Error('the Logs panel got no journal lines from the lab');
  // Straight into the bridge's event pump, as the router's batches arrive: the renderer is what is measured.
  const ours = await animationFrames(browser, win.page, () =>
    appendLines((lines) =>
      win.bridge.emit([{ channel: 'logs.lines', payload: { streamId: stream.streamId, lines } }]),
    ),
  );
  await win.page.waitForTimeout(200);
  const shown = await win.page.getByTestId('log-count').textContent();
  await win.close();

  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.setContent('<div id="log" style="height:800px;overflow:auto;font:12px monospace"></div>');
  const naive = await animationFrames(browser, page, () =>
    appendLines((lines) =>
      page.evaluate((batch) => {
        const { document } = globalThis as unknown as PageGlobals;
        const log = document.getElementById('log');
        for (const l of batch) {
          const row = document.createElement('div');
          row.textContent = l;
          log.append(row);
        }
        log.scrollTop = log.scrollHeight;
      }, lines),
    ),
  );
  await context.close();
  return {
    name: 'log-viewer',
    frame_median_ms: round(median(ours), 2),
    frame_p95_ms: round(p95(ours), 2),
    frames: ours.length,
    naive_frame_median_ms: round(median(naive), 2),
    naive_frame_p95_ms: round(p95(naive), 2),
    lines: TOTAL_LINES,
    lines_shown: Number(/^([\d,]+)/.exec(shown ?? '')?.[1]?.replaceAll(',', '') ?? 0),
    goal_ms: 16,
  };
}

export default async function rendererBench(): Promise<Measure[]> {
  const dir = await ensureRendererBuilt();
  const measures: Measure[] = [await bundle(dir)];
  const desktop = await startDesktop({
    profile: 'saved',
    settings: { ...FAST_SETTINGS, pollIntervalSeconds: 3600 },
    lab: { journalIntervalSeconds: 60 },
  });
  const browser = await launchChromium();
  try {
    await desktop.router.handle('status.refresh', {});
    measures.push(await firstRender(browser, desktop));
    measures.push(await logViewer(browser, desktop));
  } finally {
    await browser.close();
    await closeRendererServer();
    await desktop.stop();
  }
  return measures;
}

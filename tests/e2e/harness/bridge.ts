import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { ContractEvent, Result } from '../../../src-main/ipc/contract';
import type { Router } from '../../../src-main/ipc/router';

let pageApiScript: Promise<string> | null = null;

/** page-api.ts (and the channel names it imports) as one classic script for addInitScript. */
function bundlePageApi(): Promise<string> {
  pageApiScript ??= (async () => {
    const { build } = await import('vite');
    const out = await build({
      configFile: false,
      logLevel: 'warn',
      build: {
        write: false,
        minify: true,
        lib: {
          entry: fileURLToPath(new URL('./page-api.ts', import.meta.url)),
          formats: ['iife'],
          name: 'hstPageApi',
        },
      },
    });
    const result = Array.isArray(out) ? out[0] : out;
    const chunk = result && 'output' in result ? result.output.find((o) => o.type === 'chunk') : undefined;
    if (chunk?.type !== 'chunk') throw new Error('bundling page-api.ts produced no script');
    return chunk.code;
  })();
  return pageApiScript;
}

export interface Bridge {
  /** Every event the page was sent, in order (for assertions on what the main process pushed). */
  events: ContractEvent[];
  /** Hands events to the page as the pump does (for a bench that plays the router's batches itself). */
  emit(events: readonly ContractEvent[]): Promise<void>;
  /** Resolves once every event emitted so far has been handed to the page. */
  drained(): Promise<void>;
  close(): void;
}

const INVOKE_BINDING = '__hstInvoke';

/** A call of `fn` in the page with `value` as its one argument, parsed from JSON (V8's fast path). */
function callWithJson(fn: string, value: unknown): string {
  return `globalThis.${fn}?.(JSON.parse(${JSON.stringify(JSON.stringify(value))}))`;
}

/**
 * Gives the page what Electron's preload gives the window: `window.api` built by the preload's buildApi,
 * its invokes answered by the router (as ipcMain.handle would), and the router's events pushed into the
 * page in order. Call before the page's first navigation.
 *
 * The transport is the DevTools protocol itself, one JSON string each way: a binding (Runtime.addBinding)
 * carries invokes out, Runtime.evaluate carries answers and events in, all on one session so they arrive
 * in the order they were sent, as on Electron's IPC channel. Playwright's own exposeBinding and evaluate
 * walk every value through their serialisers and an extra protocol layer: several times the cost of the
 * call itself, which the window under test would pay for on its first render and its log frames.
 */
export async function connectPage(page: Page, router: Router): Promise<Bridge> {
  const session = await page.context().newCDPSession(page);
  let closed = false;

  // One outbox for answers and events, delivered in the order the router produced them. Events that come
  // while a delivery is under way join the batch waiting behind it.
  type Out = { reply: { id: number; result: Result<unknown> } } | { events: ContractEvent[] };
  const outbox: Out[] = [];
  let pumping: Promise<void> = Promise.resolve();
  let scheduled = false;
  const deliver = (expression: string) =>
    session.send('Runtime.evaluate', { expression, silent: true }).then(
      () => undefined,
      () => undefined, // The page navigated or closed; its next document gets what follows.
    );
  const post = (out: Out): Promise<void> => {
    const last = outbox.at(-1);
    if ('events' in out && last && 'events' in last) last.events.push(...out.events);
    else outbox.push(out);
    if (!scheduled) {
      scheduled = true;
      pumping = pumping.then(async () => {
        scheduled = false;
        for (let next = outbox.shift(); next && !closed; next = outbox.shift())
          await deliver(
            'events' in next
              ? callWithJson('__hstEmit', next.events)
              : callWithJson('__hstReply', next.reply),
          );
      });
    }
    return pumping;
  };

  session.on('Runtime.bindingCalled', (e) => {
    if (e.name !== INVOKE_BINDING || closed) return;
    const { id, channel, request } = JSON.parse(e.payload) as {
      id: number;
      channel: string;
      request: unknown;
    };
    void router.handle(channel, request).then((result) => post({ reply: { id, result } }));
  });
  // Without Runtime enabled on this session, the binding is not carried into the renderer process that
  // the first navigation (about:blank → the app's origin) switches to.
  await session.send('Runtime.enable');
  await session.send('Runtime.addBinding', { name: INVOKE_BINDING });
  await page.addInitScript({ content: await bundlePageApi() });

  const events: ContractEvent[] = [];
  const off = router.subscribe((event) => {
    if (closed) return;
    events.push(event);
    void post({ events: [event] });
  });

  return {
    events,
    emit: (batch) => post({ events: [...batch] }),
    drained: async () => {
      while (scheduled || outbox.length > 0) await pumping;
    },
    close() {
      closed = true;
      off();
      session.detach().catch(() => {});
    },
  };
}

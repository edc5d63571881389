import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { describeError } from '../../core/errors';
import { type InvokeChannel, invokeChannels, type Result } from '../../ipc/contract';
import type { Router } from '../../ipc/router';
import { type RendererOrigin, type SenderFacts, senderAllowed } from '../model/renderer-origin';
import { refusedSender } from './sender-refused';
import type { AppWindow } from './window';

/**
 * The one place IPC is registered: every invoke channel of the contract, each checked for its sender
 * before the router sees the payload (the router validates the payload itself). Events from the app go to
 * the window only.
 */
export function setupIpc(options: {
  ipcMain: IpcMain;
  router: Router;
  window: AppWindow;
  origin: RendererOrigin;
}): void {
  const { ipcMain, router, window, origin } = options;
  const channels = Object.keys(invokeChannels) as InvokeChannel[];
  for (const channel of channels) {
    ipcMain.handle(channel, async (event, payload: unknown): Promise<Result<unknown>> => {
      if (!senderAllowed(senderFacts(event, window), origin)) return refusedSender(channel);
      // The router answers errors as Results; a throw would reach the page as a bare exception text.
      return router.handle(channel, payload).catch((e: unknown) => ({ ok: false, error: describeError(e) }));
    });
  }
  router.subscribe((event) => window.send(event.channel, event.payload));
}

function senderFacts(event: IpcMainInvokeEvent, window: AppWindow): SenderFacts {
  const frame = event.senderFrame;
  return {
    fromAppWindow: window.owns(event.sender),
    frame: frame
      ? {
          url: frame.url,
          isMainFrame:
            frame.parent === null && frame.frameTreeNodeId === event.sender.mainFrame.frameTreeNodeId,
        }
      : null,
  };
}

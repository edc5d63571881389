import type { Clipboard } from '../../core/token/clipboard';
import type {
  CheckHost,
  EventChannel,
  InvokeChannel,
  PayloadOf,
  RequestOf,
  Result,
  ValueOf,
} from '../../ipc/contract';

/**
 * What the Electron shell needs from "the app" (the composition root, app/session.ts). The shell speaks to it
 * through the same IPC contract the window uses, so the tray, the notifications and the window can never
 * disagree about what the core says.
 */
export interface DesktopApp {
  /**
   * The router: answers one invoke channel of the contract. It validates `request` with the channel's zod
   * schema and never throws (errors come back as `{ok: false}`). The shell calls it only after the sender of
   * an IPC message passed `senderAllowed`, and for its own tray commands.
   */
  handle(channel: InvokeChannel, request: unknown): Promise<Result<unknown>>;
  /** Every event channel of the contract (status.changed, run.*, logs.*, settings.changed, …). */
  subscribe(listener: (event: DesktopEvent) => void): () => void;
  /** The alert policy's events, all of one poll in one call (never called with an empty list). */
  onAlerts(listener: (alerts: readonly DesktopAlert[]) => void): () => void;
  /** The selected profile's publicUrl (the openExternal allowlist takes its host); null without a profile. */
  publicUrl(): string | null;
  /** Loads settings and the selected profile and starts polling. */
  start(): Promise<void>;
  /** On quit: stop polling and log streams, clear a clipboard that still holds a token. Never throws. */
  shutdown(): Promise<void>;
}

/** What the shell hands to the composition root: the Electron-backed parts the core cannot build itself. */
export interface DesktopHost {
  /** Electron's userData folder (the same folder the CLI computes with core/paths.ts dataDir()). */
  dataDir: string;
  version: string;
  platform: NodeJS.Platform;
  /** Electron's clipboard (desktop/electron/clipboard.ts). */
  clipboard: Clipboard;
  /** For `app.openExternal`: opens the URL only if the shell's allowlist accepts it; false when refused. */
  openExternal(url: string): Promise<boolean>;
  /** For `profiles.importFile`: the native open dialog; the chosen file's path, or null when cancelled. */
  chooseProfileFile(): Promise<string | null>;
}

/** The composition root's factory, `createDesktopApp` exported from desktop/desktop-app.ts. */
export type CreateDesktopApp = (host: DesktopHost) => Promise<DesktopApp>;

export type DesktopEvent = { [E in EventChannel]: { channel: E; payload: PayloadOf<E> } }[EventChannel];

/** The fields of a check an alert notification names: the core's AlertEvent satisfies this as it is. */
export interface AlertCheck {
  id: string;
  host: CheckHost;
  title: string;
  /** One sentence that ends with the next step when the check is not ok. */
  detail: string;
}

export interface DesktopAlert {
  kind: 'down' | 'recovered' | 'still-down';
  check: AlertCheck;
  at: string;
}

/** A typed call through `handle`, for the shell's own requests. */
export function call<C extends InvokeChannel>(
  app: Pick<DesktopApp, 'handle'>,
  channel: C,
  request: RequestOf<C>,
): Promise<Result<ValueOf<C>>> {
  return app.handle(channel, request) as Promise<Result<ValueOf<C>>>;
}

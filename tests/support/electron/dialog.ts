import type {
  BaseWindow,
  Dialog,
  MessageBoxOptions,
  MessageBoxReturnValue,
  OpenDialogOptions,
  OpenDialogReturnValue,
  SaveDialogOptions,
  SaveDialogReturnValue,
} from 'electron';
import type { Imitation, OnlyElectron } from './imitation';
import { record } from './recorder';
import { readiness } from './registry';

/** A dialog on screen, waiting for the user: the test answers it as they would. */
export type OpenDialog =
  | {
      kind: 'messageBox';
      window: BaseWindow | null;
      options: MessageBoxOptions;
      /** The user presses the button at this index (checking the checkbox or not). */
      answer(response: number, checkboxChecked?: boolean): void;
      /** Escape or the window's close button: Electron answers the cancelId. */
      dismiss(): void;
    }
  | {
      kind: 'open';
      window: BaseWindow | null;
      options: OpenDialogOptions;
      answer(filePaths: string[]): void;
      dismiss(): void;
    }
  | {
      kind: 'save';
      window: BaseWindow | null;
      options: SaveDialogOptions;
      answer(filePath: string): void;
      dismiss(): void;
    };

const waiting: OpenDialog[] = [];
const watchers: ((dialog: OpenDialog) => void)[] = [];

/** Error boxes shown (they block in Electron until dismissed; here they are recorded and return). */
export const errorBoxes: { title: string; content: string }[] = [];

function open(dialog: OpenDialog): void {
  const watcher = watchers.shift();
  if (watcher) watcher(dialog);
  else waiting.push(dialog);
}

/** The next dialog the app shows (one already on screen, or the next to appear). */
export function nextDialog(): Promise<OpenDialog> {
  const first = waiting.shift();
  if (first) return Promise.resolve(first);
  return new Promise((resolve) => watchers.push(resolve));
}

/** Dialogs still on screen: a test that ends with one open left the user a question unanswered. */
export function dialogsOnScreen(): readonly OpenDialog[] {
  return waiting;
}

function checkAppInitialized(): void {
  if (!readiness.ready) throw new Error('dialog module can only be used after app is ready');
}

function split<O>(windowOrOptions: BaseWindow | O, maybeOptions?: O): [BaseWindow | null, O] {
  if (maybeOptions !== undefined) return [windowOrOptions as BaseWindow, maybeOptions];
  return [null, windowOrOptions as O];
}

/** Electron's default cancelId (dialog.ts): the "Cancel" or "No" button, else 0 (1 when defaultId is 0). */
function defaultCancelId(options: MessageBoxOptions): number {
  const buttons = options.buttons ?? [];
  const found = buttons.findIndex((b) => ['cancel', 'no'].includes(b.toLowerCase()));
  if (found >= 0) return found;
  return options.defaultId === 0 && buttons.length > 1 ? 1 : 0;
}

class StandInDialog implements Imitation<Dialog> {
  showMessageBox(
    windowOrOptions: BaseWindow | MessageBoxOptions,
    maybeOptions?: MessageBoxOptions,
  ): Promise<MessageBoxReturnValue> {
    checkAppInitialized();
    const [window, options] = split(windowOrOptions, maybeOptions);
    record('dialog', 'showMessageBox', window ? [window, options] : [options]);
    const types = ['none', 'info', 'warning', 'error', 'question'];
    if (!types.includes(options.type ?? 'none')) throw new TypeError('Invalid message box type');
    if (options.buttons !== undefined && !Array.isArray(options.buttons))
      throw new TypeError('Buttons must be an array');
    if (typeof (options.message ?? '') !== 'string') throw new TypeError('Message must be a string');
    if (typeof (options.title ?? '') !== 'string') throw new TypeError('Title must be a string');
    if (typeof (options.detail ?? '') !== 'string') throw new TypeError('Detail must be a string');
    if (options.checkboxChecked && !options.checkboxLabel)
      throw new Error('checkboxChecked requires that checkboxLabel also be passed');
    const buttons = options.buttons ?? [];
    return new Promise((resolve) =>
      open({
        kind: 'messageBox',
        window,
        options,
        answer: (response, checkboxChecked = options.checkboxChecked ?? false) => {
          if (buttons.length > 0 && (response < 0 || response >= buttons.length))
            throw new Error(`The message box has buttons 0..${buttons.length - 1}, not ${response}`);
          resolve({ response, checkboxChecked });
        },
        dismiss: () =>
          resolve({
            response: options.cancelId ?? defaultCancelId(options),
            checkboxChecked: !!options.checkboxChecked,
          }),
      }),
    );
  }

  showOpenDialog(
    windowOrOptions: BaseWindow | OpenDialogOptions,
    maybeOptions?: OpenDialogOptions,
  ): Promise<OpenDialogReturnValue> {
    checkAppInitialized();
    const [window, options] = split(windowOrOptions, maybeOptions);
    record('dialog', 'showOpenDialog', window ? [window, options] : [options]);
    return new Promise((resolve) =>
      open({
        kind: 'open',
        window,
        options,
        answer: (filePaths) => {
          if (filePaths.length > 1 && !options.properties?.includes('multiSelections'))
            throw new Error('This open dialog lets the user pick one file only');
          resolve({ canceled: false, filePaths });
        },
        dismiss: () => resolve({ canceled: true, filePaths: [] }),
      }),
    );
  }

  showSaveDialog(
    windowOrOptions: BaseWindow | SaveDialogOptions,
    maybeOptions?: SaveDialogOptions,
  ): Promise<SaveDialogReturnValue> {
    checkAppInitialized();
    const [window, options] = split(windowOrOptions, maybeOptions);
    record('dialog', 'showSaveDialog', window ? [window, options] : [options]);
    return new Promise((resolve) =>
      open({
        kind: 'save',
        window,
        options,
        answer: (filePath) => resolve({ canceled: false, filePath }),
        dismiss: () => resolve({ canceled: true, filePath: '' }),
      }),
    );
  }

  /** Safe before 'ready', as Electron documents: an error box is how a failed start is reported. */
  showErrorBox(title: string, content: string): void {
    record('dialog', 'showErrorBox', [title, content]);
    errorBoxes.push({ title, content });
  }
}
const dialogOnly: OnlyElectron<StandInDialog, Dialog> = true;
void dialogOnly;

export const dialog = new StandInDialog();

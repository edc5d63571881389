import type { ErrorInfo, Result } from '../../../src-main/ipc/contract';

const NO_ANSWER: ErrorInfo = {
  code: 'NoAnswer',
  message: 'The app’s main process did not answer.',
  nextStep: 'Try again; if it keeps happening, restart Homeserver Tray.',
};

/** Every IPC call goes through here, so a broken transport becomes a sentence like any other error. */
export async function call<T>(request: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await request();
  } catch {
    return { ok: false, error: NO_ANSWER };
  }
}

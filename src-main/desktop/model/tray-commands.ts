import { errorInfo } from '../../app/views/error-view';
import type { NavigateTarget, Plan } from '../../ipc/contract';
import { type ConfirmDialog, confirmDialog, needsConfirmation } from './confirm-dialog';
import { commandErrorNotification, type DesktopNotification, tokenCopiedNotification } from './notifications';
import type { TrayCommand } from './tray-menu';
import { localClock } from './tray-menu';

/** What a tray click needs: the app's use cases (called directly, not over IPC) and the Electron side. */
export interface TrayCommandDeps {
  /** Validates the action and works out its plan once; `start` runs exactly that plan. */
  prepare(
    actionId: string,
    profileId: string | null,
  ): Promise<{ plan: Plan; start(confirmed: boolean): Promise<unknown> }>;
  /**
   * Copies the registration token in the main process; when the clipboard is cleared (null: never), and the
   * sentence to show when that token is a rotation Tuwunel does not accept yet.
   */
  copyToken(profileId: string | null): Promise<{ clearsAt: string | null; notLive?: string | null }>;
  /** Shows the native dialog; true when the user chose the action's button. */
  confirm(dialog: ConfirmDialog): Promise<boolean>;
  /** Shows the window on this (of this server, when a section of the menu names one). */
  navigate(target: NavigateTarget, profileId: string | null): void;
  notify(notification: DesktopNotification): void;
  quit(): void;
  formatTime?: (iso: string) => string;
}

export type TrayCommandOutcome = 'navigated' | 'started' | 'cancelled' | 'refused' | 'copied' | 'quitting';

/**
 * Runs what a tray item asks for. An action is planned once (the same plan the window's dialog shows),
 * confirmed with a native dialog when it disrupts the service, then that plan is started; refusals (host
 * busy, no secret, …) come back as a notification with the next step, because the tray has nowhere else
 * to say it.
 */
export async function runTrayCommand(
  command: TrayCommand,
  deps: TrayCommandDeps,
): Promise<TrayCommandOutcome> {
  switch (command.kind) {
    case 'navigate':
      deps.navigate(command.target, command.profileId ?? null);
      return 'navigated';
    case 'quit':
      deps.quit();
      return 'quitting';
    case 'copy-token': {
      try {
        const copied = await deps.copyToken(command.profileId ?? null);
        deps.notify(
          tokenCopiedNotification(copied.clearsAt, deps.formatTime ?? localClock, copied.notLive ?? null),
        );
        return 'copied';
      } catch (e) {
        deps.notify(
          withServer(
            commandErrorNotification('Copy registration token', errorInfo(e), { panel: 'tokens' }),
            command.profileId,
          ),
        );
        return 'refused';
      }
    }
    case 'run': {
      const target: NavigateTarget = { panel: 'actions', actionId: command.actionId };
      try {
        const prepared = await deps.prepare(command.actionId, command.profileId ?? null);
        const confirmed = needsConfirmation(prepared.plan.danger);
        if (confirmed && !(await deps.confirm(confirmDialog(prepared.plan, command.title))))
          return 'cancelled';
        await prepared.start(confirmed);
        return 'started';
      } catch (e) {
        deps.notify(
          withServer(commandErrorNotification(command.title, errorInfo(e), target), command.profileId),
        );
        return 'refused';
      }
    }
  }
}

/** A click's answer opens the window on the server the click was for. */
function withServer(n: DesktopNotification, profileId: string | undefined): DesktopNotification {
  return profileId ? { ...n, profileId } : n;
}

import type { NavigateTarget } from '../../ipc/contract';
import { type ConfirmDialog, confirmDialog, needsConfirmation } from './confirm-dialog';
import { call, type DesktopApp } from './desktop-app';
import { commandErrorNotification, type DesktopNotification, tokenCopiedNotification } from './notifications';
import type { TrayCommand } from './tray-menu';
import { localClock } from './tray-menu';

/** The Electron side of a tray click, injected by desktop/main.ts. */
export interface TrayCommandDeps {
  app: Pick<DesktopApp, 'handle'>;
  /** Shows the native dialog; true when the user chose the action's button. */
  confirm(dialog: ConfirmDialog): Promise<boolean>;
  /** Shows the window on this. */
  navigate(target: NavigateTarget): void;
  notify(notification: DesktopNotification): void;
  quit(): void;
  formatTime?: (iso: string) => string;
}

export type TrayCommandOutcome = 'navigated' | 'started' | 'cancelled' | 'refused' | 'copied' | 'quitting';

/**
 * Runs what a tray item asks for. An action is planned first (the same plan the window's dialog shows),
 * confirmed with a native dialog when it disrupts the service, then started; refusals (host busy, no
 * secret, …) come back as a notification with the next step, because the tray has nowhere else to say it.
 */
export async function runTrayCommand(
  command: TrayCommand,
  deps: TrayCommandDeps,
): Promise<TrayCommandOutcome> {
  switch (command.kind) {
    case 'navigate':
      deps.navigate(command.target);
      return 'navigated';
    case 'quit':
      deps.quit();
      return 'quitting';
    case 'copy-token': {
      const copied = await call(deps.app, 'token.copy', {});
      if (!copied.ok) {
        deps.notify(commandErrorNotification('Copy registration token', copied.error, { panel: 'tokens' }));
        return 'refused';
      }
      deps.notify(tokenCopiedNotification(copied.value.clearsAt, deps.formatTime ?? localClock));
      return 'copied';
    }
    case 'run': {
      const target: NavigateTarget = { panel: 'actions', actionId: command.actionId };
      const plan = await call(deps.app, 'actions.plan', { actionId: command.actionId, params: {} });
      if (!plan.ok) {
        deps.notify(commandErrorNotification(command.title, plan.error, target));
        return 'refused';
      }
      const confirmed = needsConfirmation(plan.value.danger);
      if (confirmed && !(await deps.confirm(confirmDialog(plan.value, command.title)))) return 'cancelled';
      const run = await call(deps.app, 'actions.run', {
        actionId: command.actionId,
        params: {},
        confirmed,
      });
      if (!run.ok) {
        deps.notify(commandErrorNotification(command.title, run.error, target));
        return 'refused';
      }
      return 'started';
    }
  }
}

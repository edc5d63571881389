import type { Plan } from '../../ipc/contract';

/** The native confirm dialog as data (Electron's MessageBoxOptions subset the shell passes on). */
export interface ConfirmDialog {
  type: 'warning';
  title: string;
  message: string;
  detail: string;
  /** [confirm, cancel] */
  buttons: [string, string];
  /** Enter and Escape both cancel: an outage must be a deliberate click. */
  defaultId: 1;
  cancelId: 1;
  noLink: true;
}

const DANGER_LINE = {
  outage: 'This takes Matrix down.',
  disruptive: 'This interrupts the service briefly.',
} as const;

/** Safe actions run at once; disruptive and outage ones only after the dialog (the core refuses otherwise). */
export function needsConfirmation(danger: Plan['danger']): boolean {
  return danger !== 'safe';
}

/** Names the effect (the core's confirm sentence for exactly this request) and the downtime. */
export function confirmDialog(plan: Plan, actionTitle: string): ConfirmDialog {
  const danger = plan.danger === 'safe' ? null : DANGER_LINE[plan.danger];
  const downtime = `Expected downtime: ${plan.downtime ?? 'none.'}`;
  return {
    type: 'warning',
    title: actionTitle,
    message: `${actionTitle}?`,
    detail: [danger, plan.confirm, downtime].filter(Boolean).join('\n\n'),
    buttons: [actionTitle, 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    noLink: true,
  };
}

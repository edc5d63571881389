import { describe, expect, it } from 'vitest';
import { confirmDialog, needsConfirmation } from '../../../../src-main/desktop/model/confirm-dialog';
import { aPlan } from './fixtures';

describe('native confirm dialog', () => {
  it('an outage names the effect and the downtime; Enter and Escape cancel', () => {
    expect(confirmDialog(aPlan(), 'Stop the stack (maintenance)')).toEqual({
      type: 'warning',
      title: 'Stop the stack (maintenance)',
      message: 'Stop the stack (maintenance)?',
      detail: [
        'This takes Matrix down.',
        'Stop all matrix-* services on admin@192.168.1.243: Matrix is down for everyone until you run "Start the stack".',
        'Expected downtime: Until you start the stack again: Matrix is down for everyone.',
      ].join('\n\n'),
      buttons: ['Stop the stack (maintenance)', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      noLink: true,
    });
  });

  it('a disruptive action says it interrupts briefly', () => {
    const d = confirmDialog(
      aPlan({
        actionId: 'tuwunel.restart',
        danger: 'disruptive',
        downtime: 'A few seconds while Tuwunel restarts.',
        confirm: 'Restart matrix-tuwunel on admin@192.168.1.243.',
      }),
      'Restart Tuwunel',
    );
    expect(d.detail.split('\n\n')).toEqual([
      'This interrupts the service briefly.',
      'Restart matrix-tuwunel on admin@192.168.1.243.',
      'Expected downtime: A few seconds while Tuwunel restarts.',
    ]);
  });

  it('a safe plan (asked for anyway) has no danger line and says there is no downtime', () => {
    const d = confirmDialog(aPlan({ danger: 'safe', downtime: null, confirm: 'Start the units.' }), 'Start');
    expect(d.detail).toBe('Start the units.\n\nExpected downtime: none.');
  });

  it('only safe actions go without it', () => {
    expect(needsConfirmation('safe')).toBe(false);
    expect(needsConfirmation('disruptive')).toBe(true);
    expect(needsConfirmation('outage')).toBe(true);
  });
});

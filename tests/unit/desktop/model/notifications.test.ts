import { describe, expect, it } from 'vitest';
import type { AlertView } from '../../../../src-main/app/views/alert-view';
import {
  alertNotification,
  BODY_MAX,
  commandErrorNotification,
  type DesktopNotification,
  inviteEndedNotification,
  muteButtons,
  noticeNotification,
  runNotification,
  shouldShow,
  TITLE_MAX,
  tokenCopiedNotification,
} from '../../../../src-main/desktop/model/notifications';
import { aRun, at, utcClock } from './fixtures';

const tuwunelDown: AlertView = {
  kind: 'down',
  at: at(),
  check: {
    id: 'unit:matrix-tuwunel',
    host: 'homeserver',
    title: 'matrix-tuwunel unit',
    detail:
      'matrix-tuwunel is failed (exit code 1). Look at its log (Logs → matrix-tuwunel), then restart it.',
  },
};
const federationDown: AlertView = {
  kind: 'down',
  at: at(),
  check: {
    id: 'http:federation-version',
    host: 'public',
    title: 'Federation API',
    detail: 'https://matrix.rampancy.cloud answers 502. Check matrix-traefik and matrix-tuwunel.',
  },
};
const tlsRecovered: AlertView = {
  kind: 'recovered',
  at: at(),
  check: { id: 'tls:public', host: 'public', title: 'TLS certificate', detail: 'Valid for 61 more days.' },
};

/** The server a notification is about, as the app service names it. */
const RAMPANCY = { profileId: 'rampancy', serverName: 'rampancy.cloud' };

describe('alert notifications', () => {
  it('a check going down: names it and the next step, opens the dashboard on it', () => {
    expect(alertNotification([tuwunelDown], RAMPANCY)).toEqual({
      kind: 'alert',
      title: 'matrix-tuwunel unit is down (rampancy.cloud)',
      body: tuwunelDown.check.detail,
      urgency: 'critical',
      target: { panel: 'dashboard', checkId: 'unit:matrix-tuwunel' },
      profileId: 'rampancy',
      mute: { kind: 'check', checkId: 'unit:matrix-tuwunel' },
    });
  });

  it('mute buttons: a down check mutes itself, several alerts the server, a recovery has none; macOS and Windows only', () => {
    const down = alertNotification([tuwunelDown], RAMPANCY);
    const several = alertNotification([tuwunelDown, federationDown], RAMPANCY);
    const recovered = alertNotification([tlsRecovered], RAMPANCY);
    if (!down || !several || !recovered) throw new Error('no notification');
    expect(several.mute).toEqual({ kind: 'server' });
    // The buttons mute the server the notification names, not the one the window shows.
    expect(down.profileId).toBe('rampancy');
    expect(several.profileId).toBe('rampancy');
    expect(recovered.mute).toBeUndefined();
    expect(muteButtons(down, 'darwin').map((b) => [b.label, b.duration])).toEqual([
      ['Mute 1 h', '1h'],
      ['Mute 8 h', '8h'],
      ['Mute until recovered', 'recovered'],
    ]);
    expect(muteButtons(several, 'win32')).toHaveLength(3);
    expect(muteButtons(down, 'linux')).toEqual([]);
    expect(muteButtons(recovered, 'darwin')).toEqual([]);
  });

  it('recovered and still down', () => {
    expect(alertNotification([tlsRecovered], RAMPANCY)).toMatchObject({
      title: 'TLS certificate recovered (rampancy.cloud)',
      urgency: 'normal',
    });
    expect(alertNotification([{ ...tuwunelDown, kind: 'still-down' }], RAMPANCY)?.title).toBe(
      'matrix-tuwunel unit is still down (rampancy.cloud)',
    );
  });

  it('several alerts of one poll become one notification naming them all', () => {
    const n = alertNotification(
      [tuwunelDown, tlsRecovered, federationDown, { ...federationDown, kind: 'still-down' }],
      RAMPANCY,
    );
    expect(n).toMatchObject({
      title: 'rampancy.cloud: 2 down, 1 still down, 1 recovered',
      urgency: 'critical',
      target: { panel: 'dashboard', checkId: 'unit:matrix-tuwunel' },
      profileId: 'rampancy',
    });
    expect(n?.body).toMatch(
      /^Down: matrix-tuwunel unit, Federation API\. Still down: Federation API\. Recovered: TLS certificate\. matrix-tuwunel unit: matrix-tuwunel is failed/,
    );
  });

  it('only recoveries: a calm notification on the dashboard', () => {
    const n = alertNotification(
      [tlsRecovered, { ...tlsRecovered, check: { ...tlsRecovered.check, id: 'x' } }],
      { profileId: 's', serverName: 's' },
    );
    expect(n).toMatchObject({ title: 's: 2 recovered', urgency: 'normal', target: { panel: 'dashboard' } });
  });

  it('no alerts, no notification', () => {
    expect(alertNotification([], RAMPANCY)).toBeNull();
  });

  it('keeps title and body short enough for the notification centres', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({
      ...tuwunelDown,
      check: { ...tuwunelDown.check, id: `c${i}`, title: `check number ${i}` },
    }));
    const n = alertNotification(many, {
      profileId: 'x',
      serverName: 'a-very-long-server-name.example.org',
    }) as DesktopNotification;
    expect(n.title.length).toBeLessThanOrEqual(TITLE_MAX);
    expect(n.body.length).toBeLessThanOrEqual(BODY_MAX);
  });
});

describe('run notifications', () => {
  it('a failed run: its outcome and the next step; clicking opens the run', () => {
    expect(runNotification(aRun(), RAMPANCY)).toEqual({
      kind: 'run',
      title: 'Restart Tuwunel failed (rampancy.cloud)',
      body: 'Tuwunel did not answer again within 60 s. Look at the output and the logs of the host, then try again.',
      urgency: 'critical',
      target: { panel: 'actions', runId: 'run-1a2b3c4d', actionId: 'tuwunel.restart' },
      profileId: 'rampancy',
    });
  });

  it('nothing for runs that succeeded, were cancelled or are still running', () => {
    for (const state of ['ok', 'cancelled', 'running'] as const)
      expect(runNotification(aRun({ state }), RAMPANCY)).toBeNull();
  });

  it('never carries a secret: output, commands, stdin and parameters stay out', () => {
    const secret = 'syt_YWRtaW4_SeCrEtAcCeSsToKeN_0a1b2c';
    const run = aRun({
      params: { command: `!admin token issue ${secret}` },
      steps: [
        {
          id: 'restart',
          title: 'Restart matrix-tuwunel',
          phase: 'main',
          kind: 'remote',
          host: 'homeserver',
          sudo: true,
          command: `echo ${secret}`,
          stdin: `the sudo password ${secret}`,
          timeoutMs: 1000,
          state: 'failed',
          startedAt: at(),
          endedAt: at(1),
          exitCode: 1,
          attempts: 1,
          summary: `printed ${secret}`,
          error: { code: 'RemoteFailed', message: `failed: ${secret}`, nextStep: 'x' },
        },
      ],
    });
    const n = runNotification(run, RAMPANCY);
    expect(JSON.stringify(n)).not.toContain(secret);
  });

  it('a run without a sentence still says what failed', () => {
    expect(runNotification(aRun({ sentence: null, nextStep: null }), RAMPANCY)?.body).toBe(
      'Restart Tuwunel failed.',
    );
  });
});

describe('feedback and the notifications setting', () => {
  it('a refused tray command says why and what to do', () => {
    const n = commandErrorNotification(
      'Restart Tuwunel',
      {
        code: 'HostBusy',
        message: 'The homeserver host is busy with "Restart all services".',
        nextStep: 'Wait for it to finish (or cancel it), then try again.',
      },
      { panel: 'actions', actionId: 'tuwunel.restart' },
    );
    expect(n).toMatchObject({
      kind: 'feedback',
      title: 'Restart Tuwunel: not done',
      body: 'The homeserver host is busy with "Restart all services". Wait for it to finish (or cancel it), then try again.',
    });
  });

  it('a copied token: when the clipboard clears, never the token', () => {
    expect(tokenCopiedNotification(at(30_000), utcClock).body).toBe(
      'The clipboard is cleared at 14:03 if it still holds the token.',
    );
    expect(tokenCopiedNotification(null, utcClock).body).toMatch(/until you copy something else/);
  });

  it('a copied token the server does not accept yet says so, first', () => {
    const n = tokenCopiedNotification(
      at(30_000),
      utcClock,
      'this is the new token of rotation 1a2b3c4d, pushed but not applied yet: Tuwunel still accepts only the old one, so sign-ups with this one fail until "Apply the rotated registration token" succeeds.',
    );
    expect(n).toMatchObject({
      title: 'Copied a token the server does not accept yet',
      urgency: 'normal',
      target: { panel: 'tokens' },
    });
    expect(n.body).toMatch(/^This is the new token of rotation 1a2b3c4d, pushed but not applied yet/);
  });

  it('the setting silences alerts and run outcomes, not the answer to a click', () => {
    const off = { notifications: false };
    const on = { notifications: true };
    const alert = alertNotification([tuwunelDown], {
      profileId: 's',
      serverName: 's',
    }) as DesktopNotification;
    const run = runNotification(aRun(), RAMPANCY) as DesktopNotification;
    const feedback = tokenCopiedNotification(null, utcClock);
    expect([shouldShow(alert, off), shouldShow(run, off), shouldShow(feedback, off)]).toEqual([
      false,
      false,
      true,
    ]);
    expect([shouldShow(alert, on), shouldShow(run, on)]).toEqual([true, true]);
    expect(shouldShow(alert, null)).toBe(true);
  });

  it("a monitoring notice opens the window on the server it is about; the app's own (a channel) on none", () => {
    const forecast = noticeNotification({
      kind: 'forecast',
      title: 'family.example: domain registration ends in 10 days',
      text: 'family.example is registered until 2026-12-17. Renew it at the registrar.',
      urgent: false,
      panel: 'dashboard',
      profileId: 'family',
    });
    expect(forecast).toEqual({
      kind: 'alert',
      title: 'family.example: domain registration ends in 10 days',
      body: 'family.example is registered until 2026-12-17. Renew it at the registrar.',
      urgency: 'normal',
      target: { panel: 'dashboard' },
      profileId: 'family',
    });
    // Nothing to mute: a forecast is told once per threshold.
    expect(muteButtons(forecast, 'darwin')).toEqual([]);
    const channel = noticeNotification({
      kind: 'channel-failed',
      title: 'Alert channel "Ops" failed',
      text: 'The webhook answered 503.',
      urgent: true,
      panel: 'settings',
    });
    expect(channel).toMatchObject({ urgency: 'critical', target: { panel: 'settings' } });
    expect(channel).not.toHaveProperty('profileId');
  });
});

describe('invite notifications', () => {
  it('says who joined with which invite on which server, and opens the People panel on it', () => {
    expect(
      inviteEndedNotification({ hint: 'ab12…', state: 'used', joined: ['@alice:example.org'] }, RAMPANCY),
    ).toEqual({
      kind: 'alert',
      title: `@alice:example.org joined (${RAMPANCY.serverName})`,
      body: 'They registered with the invite ab12…. Say hello, or add them to the family room.',
      urgency: 'normal',
      target: { panel: 'people' },
      profileId: RAMPANCY.profileId,
    });
    expect(
      inviteEndedNotification(
        { hint: 'ab12…', state: 'used', joined: ['@nana:example.org'], invitedTo: '#family:example.org' },
        RAMPANCY,
      )?.body,
    ).toBe('They registered with the invite ab12…. They were invited to #family:example.org.');
    expect(
      inviteEndedNotification(
        {
          hint: 'ab12…',
          state: 'used',
          joined: ['@nana:example.org'],
          invitedTo: null,
          inviteProblem: 'Resolving #family:example.org failed: the homeserver answered 404 M_NOT_FOUND.',
        },
        RAMPANCY,
      )?.body,
    ).toBe(
      'They registered with the invite ab12…. Inviting them into the room failed: Resolving #family:example.org failed: the homeserver answered 404 M_NOT_FOUND. Invite them from your Matrix client.',
    );
    expect(inviteEndedNotification({ hint: 'ab12…', state: 'used', joined: [] }, RAMPANCY)?.title).toBe(
      `An invite was used (${RAMPANCY.serverName})`,
    );
    expect(inviteEndedNotification({ hint: 'ab12…', state: 'expired', joined: [] }, RAMPANCY)).toBeNull();
  });
});

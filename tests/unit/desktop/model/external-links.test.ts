import { describe, expect, it } from 'vitest';
import { externalUrlAllowed, navigationDecision } from '../../../../src-main/desktop/model/external-links';

const publicUrl = 'https://matrix.rampancy.cloud';

describe('openExternal allowlist (checklist 12, 14)', () => {
  it('opens https links to Element, matrix.org, the upstream projects and the own homeserver', () => {
    for (const url of [
      'https://app.element.io/#/register',
      'https://element.io/download',
      'https://matrix.org/ecosystem/clients/',
      'https://github.com/matrix-construct/tuwunel/releases',
      'https://github.com/matrix-construct',
      'https://github.com/spantaleev/matrix-docker-ansible-deploy/blob/master/docs/README.md',
      'https://GitHub.com/Spantaleev/matrix-docker-ansible-deploy',
      'https://matrix.rampancy.cloud/_matrix/client/versions',
    ])
      expect(externalUrlAllowed(url, publicUrl), url).toBe(true);
  });

  it('refuses everything else', () => {
    for (const url of [
      'http://app.element.io/',
      'file:///etc/passwd',
      'smb://attacker/share',
      'javascript:alert(1)',
      'ms-settings:privacy',
      'https://evil.example/',
      'https://app.element.io.evil.example/',
      'https://evilelement.io/',
      'https://sub.matrix.org/',
      'https://matrix.org.:443/',
      'https://matrix.org:8443/',
      'https://user:pass@matrix.org/',
      'https://github.com/',
      'https://github.com/attacker/matrix-construct',
      'https://github.com/matrix-construct-evil/x',
      'https://gist.github.com/spantaleev/x',
      'https://rampancy.cloud/',
      'https://matrix.rampancy.cloud:8448/',
      'not a url',
      '',
    ])
      expect(externalUrlAllowed(url, publicUrl), url).toBe(false);
  });

  it('the own homeserver only over https, and only when a profile names it', () => {
    expect(externalUrlAllowed('https://matrix.rampancy.cloud/', null)).toBe(false);
    expect(externalUrlAllowed('https://matrix.example:8448/x', 'https://matrix.example:8448')).toBe(true);
    expect(externalUrlAllowed('https://matrix.example/x', 'http://matrix.example')).toBe(false);
  });
});

describe('navigation and new windows (checklist 13, 14)', () => {
  it('never navigates the window; allowlisted links go to the browser instead', () => {
    expect(navigationDecision('https://matrix.org/', publicUrl)).toEqual({
      allowInWindow: false,
      openExternally: 'https://matrix.org/',
    });
    expect(navigationDecision('https://evil.example/', publicUrl)).toEqual({
      allowInWindow: false,
      openExternally: null,
    });
    expect(navigationDecision('file:///etc/passwd', publicUrl).openExternally).toBeNull();
  });
});

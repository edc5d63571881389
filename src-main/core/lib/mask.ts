/** What a secret is replaced with wherever run output, messages or the audit trail would show it. */
export const MASK = '••••••';

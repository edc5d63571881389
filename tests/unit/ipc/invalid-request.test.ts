import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { invalidRequest } from '../../../src-main/ipc/invalid-request';

describe('invalidRequest', () => {
  const schema = z.object({ runId: z.string().min(1), n: z.number().optional() }).strict();
  const fail = (v: unknown) => {
    const r = schema.safeParse(v);
    if (r.success) throw new Error('expected a failure');
    return invalidRequest(r.error, 'request');
  };

  it('names the field and says what is wrong', () => {
    expect(fail({})).toMatchObject({ field: 'runId', message: 'runId: is required' });
    expect(fail({ runId: 'x', extra: 1 })).toMatchObject({
      field: 'request',
      message: expect.stringContaining('extra'),
    });
    expect(fail({ runId: 'x', n: 'one' }).field).toBe('n');
    expect(fail(null).field).toBe('request');
  });
});

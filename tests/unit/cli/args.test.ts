import { describe, expect, it } from 'vitest';
import { paramPairs, parseArgs, takeProfileOption, UsageError } from '../../../src-main/cli/args';

describe('parseArgs', () => {
  const spec = { flags: ['yes', 'json'], options: ['host'], repeatable: ['param'] };

  it('reads flags, valued options in both spellings, repeated options and positionals', () => {
    const p = parseArgs(
      ['user.make-admin', '--yes', '--param', 'user=bob', '--param=x=1', '--host=deploy', 'more'],
      spec,
    );
    expect(p.positional).toEqual(['user.make-admin', 'more']);
    expect([...p.flags]).toEqual(['yes']);
    expect(p.options.get('host')).toBe('deploy');
    expect(p.repeated.get('param')).toEqual(['user=bob', 'x=1']);
  });

  it('treats everything after -- as positional', () => {
    expect(parseArgs(['--', '--yes', '-x'], spec).positional).toEqual(['--yes', '-x']);
  });

  it('refuses unknown options, a flag with a value, a missing value and a repeated single option', () => {
    expect(() => parseArgs(['--yse'], spec)).toThrow(/--yse: is not an option/);
    expect(() => parseArgs(['--yes=no'], spec)).toThrow(/takes no value/);
    expect(() => parseArgs(['--host'], spec)).toThrow(/--host: needs a value/);
    expect(() => parseArgs(['--host', 'a', '--host', 'b'], spec)).toThrow(/given twice/);
    expect(() => parseArgs(['--yse'], spec)).toThrow(UsageError);
  });
});

describe('takeProfileOption', () => {
  it('takes --profile from anywhere, in both spellings', () => {
    expect(takeProfileOption(['status', '--profile', 'p.yaml', '--json'])).toEqual({
      profilePath: 'p.yaml',
      rest: ['status', '--json'],
    });
    expect(takeProfileOption(['--profile=p.yaml', 'actions'])).toEqual({
      profilePath: 'p.yaml',
      rest: ['actions'],
    });
    expect(takeProfileOption(['status'])).toEqual({ profilePath: null, rest: ['status'] });
  });

  it('leaves a --profile that is the value of another option alone', () => {
    expect(takeProfileOption(['run', 'admin.command', '--param', '--profile'])).toEqual({
      profilePath: null,
      rest: ['run', 'admin.command', '--param', '--profile'],
    });
  });

  it('refuses --profile without a file or given twice', () => {
    expect(() => takeProfileOption(['status', '--profile'])).toThrow(/--profile: needs a file/);
    expect(() => takeProfileOption(['--profile', 'a', '--profile', 'b'])).toThrow(/given twice/);
  });
});

describe('paramPairs', () => {
  it('splits at the first = so values may hold =', () => {
    expect(paramPairs(['user=bob', 'command=!admin echo a=b', 'empty='])).toEqual({
      user: 'bob',
      command: '!admin echo a=b',
      empty: '',
    });
  });

  it('refuses a pair without a key or given twice', () => {
    expect(() => paramPairs(['user'])).toThrow(/"user" is not key=value/);
    expect(() => paramPairs(['=bob'])).toThrow(/is not key=value/);
    expect(() => paramPairs(['user=a', 'user=b'])).toThrow(/user is given twice/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  parseAdditionalGids,
  parseBoolOrAuto,
  parseGoDuration,
  parseIntFlag,
  parseRamInBytes,
  parseSignal,
  parseSubCgroupPaths,
  parseUserSpec,
  signalName,
} from '../../src/cli/values';

describe('parseSignal', () => {
  it('takes decimal numbers as engines send them', () => {
    expect(parseSignal('15')).toBe(15);
    expect(parseSignal('9')).toBe(9);
    expect(parseSignal('0')).toBe(0);
    expect(parseSignal('64')).toBe(64);
  });

  it('takes names with or without SIG, in any case', () => {
    expect(parseSignal('KILL')).toBe(9);
    expect(parseSignal('SIGKILL')).toBe(9);
    expect(parseSignal('sigterm')).toBe(15);
    expect(parseSignal('Hup')).toBe(1);
    expect(parseSignal('usr1')).toBe(10);
    expect(parseSignal('SIGWINCH')).toBe(28);
    expect(parseSignal('RTMIN')).toBe(34);
    expect(parseSignal('SIGRTMIN+3')).toBe(37);
    expect(parseSignal('RTMAX-1')).toBe(63);
  });

  it('rejects anything else with runc\'s message', () => {
    expect(() => parseSignal('FOO')).toThrow('unknown signal "FOO"');
    expect(() => parseSignal('65')).toThrow('unknown signal "65"');
    expect(() => parseSignal('-9')).toThrow('unknown signal "-9"');
    expect(() => parseSignal('RTMIN-1')).toThrow('unknown signal "RTMIN-1"');
    expect(() => parseSignal('')).toThrow('unknown signal ""');
  });

  it('names numbers back', () => {
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(35)).toBe('SIGRTMIN+1');
  });
});

describe('numbers, durations, sizes', () => {
  it('parseIntFlag', () => {
    expect(parseIntFlag('preserve-fds', '3', 0)).toBe(3);
    expect(() => parseIntFlag('preserve-fds', 'x', 0)).toThrow('invalid value "x" for flag --preserve-fds: not an integer');
    expect(() => parseIntFlag('preserve-fds', '-1', 0, 10)).toThrow('must be between 0 and 10');
  });

  it('parses Go durations into milliseconds', () => {
    expect(parseGoDuration('interval', '5s')).toBe(5000);
    expect(parseGoDuration('interval', '1m30s')).toBe(90_000);
    expect(parseGoDuration('interval', '250ms')).toBe(250);
    expect(parseGoDuration('interval', '1.5h')).toBe(5_400_000);
    expect(parseGoDuration('interval', '0')).toBe(0);
    expect(parseGoDuration('interval', '-2s')).toBe(-2000);
    expect(() => parseGoDuration('interval', '5')).toThrow('invalid value "5" for flag --interval: parse error');
    expect(() => parseGoDuration('interval', 'abc')).toThrow('parse error');
  });

  it('parses sizes like docker/go-units RAMInBytes', () => {
    expect(parseRamInBytes('memory', '1024')).toBe(1024);
    expect(parseRamInBytes('memory', '64m')).toBe(64 * 2 ** 20);
    expect(parseRamInBytes('memory', '1g')).toBe(2 ** 30);
    expect(parseRamInBytes('memory', '1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseRamInBytes('memory', '512 KB')).toBe(512 * 1024);
    expect(() => parseRamInBytes('memory', '12x')).toThrow("invalid size: '12x'");
  });
});

describe('exec option values', () => {
  it('user specs', () => {
    expect(parseUserSpec('1000')).toEqual({ uid: 1000 });
    expect(parseUserSpec('1000:100')).toEqual({ uid: 1000, gid: 100 });
    expect(() => parseUserSpec('bob')).toThrow('bad uid');
    expect(() => parseUserSpec('1:x')).toThrow('bad gid');
    expect(() => parseUserSpec('1:2:3')).toThrow('bad --user');
  });

  it('additional gids', () => {
    expect(parseAdditionalGids(['5', '6'])).toEqual([5, 6]);
    expect(() => parseAdditionalGids(['-1'])).toThrow('additional-gids must be a positive number -1');
  });

  it('--cgroup forms like runc', () => {
    expect(parseSubCgroupPaths([])).toBeUndefined();
    expect(parseSubCgroupPaths(['sub'])).toEqual({ '': 'sub' });
    expect(parseSubCgroupPaths(['cpu,cpuacct:a', 'memory:b'])).toEqual({ cpu: 'a', cpuacct: 'a', memory: 'b' });
    expect(() => parseSubCgroupPaths([':a'])).toThrow('empty <controller> prefix');
    expect(() => parseSubCgroupPaths(['cpu:a', 'cpu:b'])).toThrow('controller cpu specified multiple times');
    expect(() => parseSubCgroupPaths(['a', 'cpu:b'])).toThrow('missing <controller>: prefix');
  });

  it('--rootless values', () => {
    expect(parseBoolOrAuto('auto')).toBe('auto');
    expect(parseBoolOrAuto('')).toBe('auto');
    expect(parseBoolOrAuto('TRUE')).toBe(true);
    expect(parseBoolOrAuto('0')).toBe(false);
    expect(() => parseBoolOrAuto('yes')).toThrow('expected true, false or auto');
  });
});

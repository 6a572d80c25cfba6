// stringifyJson writes bigint values exactly, so parseJsonText reads back what
// was written (state.json keeps configs with uint64 values above 2^53).
import { describe, expect, it } from 'vitest';
import { parseJsonText, stringifyJson } from '../../oci-spec/json';

describe('stringifyJson', () => {
  it('is JSON.stringify when there is no bigint', () => {
    const v = { a: [1, 'x', null, { b: true }], c: 'tsrun-int-1' };
    expect(stringifyJson(v)).toBe(JSON.stringify(v));
    expect(stringifyJson(v, '\t')).toBe(JSON.stringify(v, null, '\t'));
  });

  it('writes bigint as exact integer literals that parseJsonText reads back', () => {
    const v = { value: 18446744069414584321n, neg: -9007199254740993n, small: 5n, list: [2n ** 63n, 'keep "quotes"'] };
    const text = stringifyJson(v);
    expect(text).toBe(
      '{"value":18446744069414584321,"neg":-9007199254740993,"small":5,"list":[9223372036854775808,"keep \\"quotes\\""]}',
    );
    expect(parseJsonText(text, 'state.json')).toEqual({ ...v, small: 5 });
  });

  it('leaves strings that look like the tag alone', () => {
    const v = { s: '\u0000tsrun-int-abc:12"', n: 2n ** 64n - 1n };
    expect(parseJsonText(stringifyJson(v), 'x.json')).toEqual(v);
  });
});

// The hand-described protobuf messages: the exact bytes proto3 prescribes
// for each field kind, decoding of what other encoders may send (unpacked
// repeated numbers, unknown fields, fields in any order), and malformed input.
import { describe, expect, it } from 'vitest';
import { decode, encode, message, ProtoDecodeError } from '../../src/shim/proto/codec';
import { CreateTaskRequest, DeleteResponse, Mount, StateResponse, TaskExit, TtrpcRequest, UpdateTaskRequest } from '../../src/shim/proto/messages';
import { V1Metrics } from '../../src/shim/proto/metrics';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

describe('protobuf encoding', () => {
  it('strings, repeated strings: tag, length, bytes, in field order', () => {
    const b = encode(Mount, { type: 'overlay', source: 'o', options: ['a', 'bc'] });
    expect(hex(b)).toBe(`0a07${Buffer.from('overlay').toString('hex')}1201${Buffer.from('o').toString('hex')}220161220262 63`.replace(/\s/g, ''));
  });

  it('proto3 zero values are not written', () => {
    expect(hex(encode(StateResponse, { id: '', pid: 0, terminal: false, status: 0, exitedAt: undefined }))).toBe('');
    expect(hex(encode(DeleteResponse, {}))).toBe('');
  });

  it('varints: uint32 137 is 89 01; an embedded message is length-delimited', () => {
    expect(hex(encode(DeleteResponse, { pid: 1, exitStatus: 137, exitedAt: { seconds: 1n, nanos: 2 } }))).toBe('0801108901' + '1a0408011002');
  });

  it('64-bit values above 2^53 are exact; numbers are accepted for them', () => {
    const max = 18446744073709551615n;
    const b = encode(V1Metrics, { memory: { usage: { limit: max, usage: 5 } } });
    expect(decode(V1Metrics, b).memory!.usage!.limit).toBe(max);
    expect(decode(V1Metrics, b).memory!.usage!.usage).toBe(5n);
  });

  it('repeated numbers are packed', () => {
    const b = encode(V1Metrics, { cpu: { usage: { perCpu: [1n, 300n] } } });
    // Metrics.cpu(3) { CPUStat.usage(1) { CPUUsage.per_cpu(4) packed [01, ac 02] } }
    expect(hex(b)).toBe('1a07' + '0a05' + '2203' + '01ac02');
  });

  it('a map<string,string> is a repeated key/value entry', () => {
    const b = encode(UpdateTaskRequest, { id: 'c', annotations: { k: 'v' } });
    expect(hex(b)).toBe('0a0163' + '1a06' + '0a016b' + '120176');
    expect(decode(UpdateTaskRequest, b).annotations).toEqual({ k: 'v' });
  });
});

describe('protobuf decoding', () => {
  it('round-trips a CreateTaskRequest with nested and repeated messages', () => {
    const req = {
      id: 'c1',
      bundle: '/run/b',
      rootfs: [{ type: 'overlay', source: 'overlay', target: '', options: ['lowerdir=/l', 'upperdir=/u'] }],
      terminal: true,
      stdin: '/f/in',
      stdout: '/f/out',
      stderr: '',
      checkpoint: '',
      parentCheckpoint: '',
      options: { typeUrl: 'runtimeoptions.v1.Options', value: new Uint8Array([0x12, 0x01, 0x78]) },
    };
    expect(decode(CreateTaskRequest, encode(CreateTaskRequest, req))).toEqual(req);
  });

  it('fills absent fields with their defaults', () => {
    expect(decode(TaskExit, new Uint8Array())).toEqual({ containerId: '', id: '', pid: 0, exitStatus: 0, exitedAt: undefined });
  });

  it('reads unpacked repeated numbers too, and fields in any order', () => {
    // CPUUsage: per_cpu(4) as two varints, then total(1)
    const usage = bytes('2001 2002 0807');
    const metrics = bytes(`1a 08 0a 06 ${hex(usage)}`.replace(/\s/g, ''));
    expect(decode(V1Metrics, metrics).cpu!.usage).toEqual({ total: 7n, kernel: 0n, user: 0n, perCpu: [1n, 2n] });
  });

  it('skips unknown fields of every wire type', () => {
    // Mount.type = "x", then field 9 varint, field 10 fixed64, field 11 bytes, field 12 fixed32
    const b = bytes('0a0178 4801 510102030405060708 5a03616263 6501020304');
    expect(decode(Mount, b)).toEqual({ type: 'x', source: '', target: '', options: [] });
  });

  it('malformed input is a ProtoDecodeError', () => {
    expect(() => decode(Mount, bytes('0a05616263'))).toThrow(ProtoDecodeError); // length past the end
    expect(() => decode(Mount, bytes('0801'))).toThrow(/wire type/); // type as a varint
    expect(() => decode(TtrpcRequest, bytes('ff'))).toThrow(ProtoDecodeError); // truncated varint
  });

  it('a message table with a field number used twice is refused', () => {
    expect(() => message('x.Y', { a: { no: 1, kind: 'string' }, b: { no: 1, kind: 'bool' } })).toThrow(/used twice/);
  });
});

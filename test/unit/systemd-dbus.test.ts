// The D-Bus client of the systemd cgroup driver: the wire format, messages,
// the connection (handshake, calls, signals) and the systemd calls, against a
// scripted peer. The real systemd is exercised in the VM (test/vm/).
import { describe, expect, it } from 'vitest';
import { systemdEndpoints, unixPathsOf } from '../../src/systemd/address';
import { SystemdClient, SystemdUnavailableError } from '../../src/systemd/client';
import { DbusCallError, DbusConnection } from '../../src/systemd/dbus/connection';
import { decodeMessage, encodeMethodCall, messageLength, MESSAGE_TYPE } from '../../src/systemd/dbus/message';
import { DbusWireError, splitSignature, WireReader, WireWriter } from '../../src/systemd/dbus/wire';
import { FakePeer, fakeSystemd, jobRemoved } from './helpers/fake-systemd';

const hex = (b: Buffer) => b.toString('hex');

describe('D-Bus wire format', () => {
  it('splits signatures into complete types', () => {
    expect(splitSignature('ssa(sv)a(sa(sv))')).toEqual(['s', 's', 'a(sv)', 'a(sa(sv))']);
    expect(splitSignature('a{sv}uoss')).toEqual(['a{sv}', 'u', 'o', 's', 's']);
    expect(() => splitSignature('a(sv')).toThrow(DbusWireError);
    expect(() => splitSignature('z')).toThrow(/unknown D-Bus type code "z"/);
  });

  it('aligns each value from the message start, and an array length leaves out the padding to its first element', () => {
    const w = new WireWriter();
    w.write('ya(t)', [7, [[1n], [2n]]]);
    // y, 3 pad, length 16, then 8-aligned structs at 8 and 16
    expect(hex(w.bytes())).toBe('07000000' + '10000000' + '0100000000000000' + '0200000000000000');
    const empty = new WireWriter();
    empty.write('ya(t)', [7, []]);
    expect(hex(empty.bytes())).toBe('07000000' + '00000000');
  });

  it('reads back what it writes: strings, signatures, variants, arrays of structs, dict entries, 64-bit values', () => {
    const sig = 'ssa(sv)a(sa(sv))a{su}xtbdng';
    const values = [
      'tsrun-x.scope',
      'replace',
      [
        ['PIDs', { signature: 'au', value: [42] }],
        ['AllowedCPUs', { signature: 'ay', value: [0x17] }],
        ['IOReadBandwidthMax', { signature: 'a(st)', value: [['/dev/block/8:0', 1048576n]] }],
        ['MemoryMax', { signature: 't', value: 2n ** 64n - 1n }],
        ['Delegate', { signature: 'b', value: true }],
      ],
      [],
      [['a', 1], ['ü', 2]],
      -5n,
      18446744073709551615n,
      false,
      0.5,
      -2,
      'a(sv)',
    ];
    const w = new WireWriter();
    w.write(sig, values);
    expect(new WireReader(w.bytes()).read(sig)).toEqual(values);
  });

  it('refuses values that do not fit their type', () => {
    expect(() => new WireWriter().write('s', ['a\0b'])).toThrow(/NUL/);
    expect(() => new WireWriter().write('t', [1.5])).toThrow(/integer/);
    expect(() => new WireWriter().write('(su)', [['x']])).toThrow(/2 fields/);
    expect(() => new WireWriter().write('ss', ['x'])).toThrow(/wants 2 values/);
    expect(() => new WireReader(Buffer.from('05000000616263', 'hex')).read('s')).toThrow(/ends inside a value/);
  });
});

describe('D-Bus messages', () => {
  it('encodes the bus Hello call as libdbus and sd-bus do', () => {
    const bytes = encodeMethodCall({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello' }, 1);
    const fields =
      '01016f00' + '15000000' + Buffer.from('/org/freedesktop/DBus\0').toString('hex') + '0000' +
      '02017300' + '14000000' + Buffer.from('org.freedesktop.DBus\0').toString('hex') + '000000' +
      '03017300' + '05000000' + Buffer.from('Hello\0').toString('hex') + '0000' +
      '06017300' + '14000000' + Buffer.from('org.freedesktop.DBus\0').toString('hex');
    // header: 'l', method call, no flags, version 1, no body, serial 1, fields of 109 bytes; padded to 8
    expect(hex(bytes)).toBe('6c010001' + '00000000' + '01000000' + '6d000000' + fields + '000000');
    expect(bytes.length % 8).toBe(0);
  });

  it('decodes what it encodes, with the body aligned from the message start', () => {
    const bytes = encodeMethodCall({ destination: 'org.freedesktop.systemd1', path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'SetUnitProperties', signature: 'sba(sv)', body: ['u.scope', true, [['TasksMax', { signature: 't', value: 50n }]]] }, 9);
    expect(messageLength(bytes)).toBe(bytes.length);
    expect(messageLength(bytes.subarray(0, 15))).toBeUndefined();
    const m = decodeMessage(bytes);
    expect(m).toMatchObject({ type: MESSAGE_TYPE.methodCall, serial: 9, member: 'SetUnitProperties', signature: 'sba(sv)', body: ['u.scope', true, [['TasksMax', { signature: 't', value: 50n }]]] });
  });

  it('refuses a big-endian message rather than misreading it', () => {
    const bytes = Buffer.from(encodeMethodCall({ path: '/', interface: 'a.b', member: 'C' }, 1));
    bytes[0] = 0x42; // 'B'
    expect(() => messageLength(bytes)).toThrow(/endianness/);
  });
});

describe('D-Bus connection', () => {
  it('authenticates with EXTERNAL as the uid in hex-encoded ASCII, and says Hello to a bus only', () => {
    const peer = new FakePeer(() => ({ signature: 's', body: [':1.42'] }));
    DbusConnection.open(peer, { bus: true, uid: 1000, peer: 'test bus' });
    expect(peer.authLine).toBe(`AUTH EXTERNAL ${Buffer.from('1000').toString('hex')}`);
    expect(peer.calls.map((c) => c.member)).toEqual(['Hello']);
    const direct = new FakePeer(() => ({}));
    DbusConnection.open(direct, { bus: false, uid: 0, peer: 'systemd' });
    expect(direct.authLine).toBe('AUTH EXTERNAL 30');
    expect(direct.calls).toEqual([]);
  });

  it('turns an error reply into DbusCallError with its name, and keeps signals that arrive during a call', () => {
    const peer = new FakePeer((call) =>
      call.member === 'Fail'
        ? { error: { name: 'org.freedesktop.systemd1.NoSuchUnit', text: 'Unit x.scope not loaded.' } }
        : { signalsBefore: [jobRemoved('/org/freedesktop/systemd1/job/7', 'x.scope')] },
    );
    const c = DbusConnection.open(peer, { bus: false, uid: 0, peer: 'systemd' });
    let err: unknown;
    try {
      c.call({ path: '/', interface: 'i.f', member: 'Fail' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DbusCallError);
    expect((err as DbusCallError).dbusName).toBe('org.freedesktop.systemd1.NoSuchUnit');
    expect((err as Error).message).toBe('i.f.Fail: Unit x.scope not loaded. (org.freedesktop.systemd1.NoSuchUnit)');
    c.call({ path: '/', interface: 'i.f', member: 'Go' });
    const s = c.waitForSignal((m) => m.member === 'JobRemoved', 'the job');
    expect(s.body).toEqual([7, '/org/freedesktop/systemd1/job/7', 'x.scope', 'done']);
  });

  it('gives up with a clear error when the peer does not answer', () => {
    const silent = { write: () => {}, read: () => undefined, close: () => {} };
    expect(() => DbusConnection.open(silent, { bus: false, uid: 0, peer: 'systemd at /x' })).toThrow(/systemd at \/x did not answer within 30 s/);
    const refusing = { write: () => {}, read: () => Buffer.from('REJECTED EXTERNAL\r\n'), close: () => {} };
    expect(() => DbusConnection.open(refusing, { bus: false, uid: 5, peer: 'systemd at /x' })).toThrow(/refused authentication as uid 5: REJECTED EXTERNAL/);
  });
});

describe('where systemd is reached', () => {
  it('reads unix:path= addresses, percent-decoded, skipping other transports', () => {
    expect(unixPathsOf('unix:path=/run/user/1000/bus')).toEqual(['/run/user/1000/bus']);
    expect(unixPathsOf('tcp:host=x,port=1;unix:guid=ab,path=/tmp/a%20b')).toEqual(['/tmp/a b']);
    expect(unixPathsOf('unix:abstract=/tmp/dbus-x')).toEqual([]);
    expect(unixPathsOf(undefined)).toEqual([]);
  });

  it('root: systemd directly, then the system bus; rootless: the session bus, then the user manager directly', () => {
    expect(systemdEndpoints('system', {}).map((e) => [e.socket, e.bus])).toEqual([
      ['/run/systemd/private', false],
      ['/run/dbus/system_bus_socket', true],
    ]);
    expect(systemdEndpoints('user', { XDG_RUNTIME_DIR: '/run/user/1000' }).map((e) => [e.socket, e.bus])).toEqual([
      ['/run/user/1000/bus', true],
      ['/run/user/1000/systemd/private', false],
    ]);
    expect(systemdEndpoints('user', { XDG_RUNTIME_DIR: '/run/user/1000', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/tmp/bus' })[0]!.socket).toBe('/tmp/bus');
    expect(systemdEndpoints('user', {})).toEqual([]);
  });
});

describe('the systemd client', () => {
  it('tries the endpoints in order, subscribes, and starts a transient unit waiting for its own job', () => {
    const units = new Map<string, string>();
    const peer = fakeSystemd(units);
    const tried: string[] = [];
    const client = SystemdClient.connect('system', {
      env: {},
      transport: (socket) => {
        tried.push(socket);
        if (socket === '/run/systemd/private') throw Object.assign(new Error('connect'), { code: 'ENOENT' });
        return peer;
      },
    });
    expect(tried).toEqual(['/run/systemd/private', '/run/dbus/system_bus_socket']);
    expect(peer.calls.map((c) => c.member)).toEqual(['Hello', 'AddMatch', 'Subscribe']);
    client.startTransientUnit('tsrun-a.scope', [['PIDs', { signature: 'au', value: [5] }]]);
    expect(units.get('tsrun-a.scope')).toBe('active');
    const start = peer.calls.find((c) => c.member === 'StartTransientUnit')!;
    expect(start.signature).toBe('ssa(sv)a(sa(sv))');
    expect(start.body.slice(0, 2)).toEqual(['tsrun-a.scope', 'replace']);
    expect(client.activeState('tsrun-a.scope')).toBe('active');
    expect(client.activeState('nothing.scope')).toBeUndefined();
    expect(client.version()).toBe(252);
    client.stopUnit('tsrun-a.scope');
    client.stopUnit('tsrun-a.scope'); // gone: counts as stopped
    expect(units.has('tsrun-a.scope')).toBe(false);
  });

  it('resets a leftover failed unit of the same name and starts again once; a failed job is an error naming the unit', () => {
    const peer = fakeSystemd(new Map(), { existsOnce: true });
    const client = SystemdClient.connect('system', { env: {}, transport: () => peer });
    client.startTransientUnit('tsrun-b.scope', []);
    expect(peer.calls.map((c) => c.member).filter((m) => m !== 'Subscribe')).toEqual(['StartTransientUnit', 'ResetFailedUnit', 'StartTransientUnit']);
    const failing = SystemdClient.connect('system', { env: {}, transport: () => fakeSystemd(new Map(), { startResult: 'failed' }) });
    expect(() => failing.startTransientUnit('tsrun-c.scope', [])).toThrow('systemd could not start tsrun-c.scope: its job ended "failed" (see journalctl -u tsrun-c.scope)');
  });

  it('no systemd: an error naming --systemd-cgroup, where it looked and what to do instead', () => {
    const refuse = (socket: string) => {
      throw Object.assign(new Error(`connect ${socket}`), { code: socket.includes('private') ? 'ENOENT' : 'ECONNREFUSED' });
    };
    const make = () => SystemdClient.connect('system', { env: {}, transport: refuse });
    expect(make).toThrow(SystemdUnavailableError);
    expect(make).toThrow(
      "--systemd-cgroup: cannot reach the systemd system manager (systemd as PID 1): systemd's private socket /run/systemd/private: ENOENT; " +
        'the system bus at /run/dbus/system_bus_socket: ECONNREFUSED. The systemd cgroup driver needs a running systemd; run without --systemd-cgroup to manage cgroups directly (cgroupfs)',
    );
    expect(() => SystemdClient.connect('user', { env: {}, transport: refuse })).toThrow(/your systemd user manager .*XDG_RUNTIME_DIR is not set/);
  });
});

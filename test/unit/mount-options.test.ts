import { describe, expect, it } from 'vitest';
import { MOUNT_ATTR, MS } from '../../src/native/linux-constants';
import { MountOptionError, parseMountOptions, propagationFlag } from '../../src/rootfs/mount-options';

describe('parseMountOptions', () => {
  it('maps flag options to MS_* and keeps fs options as data, in order', () => {
    const o = parseMountOptions(['nosuid', 'noexec', 'nodev', 'mode=755', 'size=65536k']);
    expect(o.flags).toBe(MS.NOSUID | MS.NOEXEC | MS.NODEV);
    expect(o.data).toBe('mode=755,size=65536k');
    expect(o.bind).toBe(false);
  });

  it('lets a later option undo an earlier one (rw after ro)', () => {
    expect(parseMountOptions(['ro', 'rw']).flags & MS.RDONLY).toBe(0);
    expect(parseMountOptions(['rw', 'ro']).flags & MS.RDONLY).toBe(MS.RDONLY);
  });

  it('recognises bind and rbind', () => {
    expect(parseMountOptions(['bind'])).toMatchObject({ bind: true, recursiveBind: false });
    expect(parseMountOptions(['rbind', 'ro'])).toMatchObject({ bind: true, recursiveBind: true, flags: MS.RDONLY });
  });

  it('collects propagation flags in order', () => {
    expect(parseMountOptions(['rprivate', 'shared']).propagation).toEqual([MS.PRIVATE | MS.REC, MS.SHARED]);
  });

  it('maps recursive options to mount_setattr attributes', () => {
    const o = parseMountOptions(['rro', 'rnosuid', 'rnoatime']);
    expect(o.recursiveAttrSet).toBe(MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NOATIME);
    expect(o.recursiveAttrClr).toBe(0);
    const undo = parseMountOptions(['rro', 'rrw']);
    expect(undo.recursiveAttrSet & MOUNT_ATTR.RDONLY).toBe(0);
    expect(undo.recursiveAttrClr & MOUNT_ATTR.RDONLY).toBe(MOUNT_ATTR.RDONLY);
  });

  it('refuses idmapped mounts, which tsrun does not support', () => {
    expect(() => parseMountOptions(['idmap'])).toThrow(MountOptionError);
  });

  it('knows the propagation names', () => {
    expect(propagationFlag('rslave')).toBe(MS.SLAVE | MS.REC);
    expect(propagationFlag('bogus')).toBeUndefined();
  });
});

// -u / the image's User, resolved as Docker does against the image's own
// /etc/passwd and /etc/group (read by the caller from the layers). Pure.
import { UsageError } from '../../errors';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const NUMBER = /^\d+$/;
const MAX_ID = 2 ** 31 - 1;

function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || !NUMBER.test(f[2] as string) || !NUMBER.test(f[3] as string)) continue;
    out.push({ name: f[0] as string, uid: Number(f[2]), gid: Number(f[3]) });
  }
  return out;
}

function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !NUMBER.test(f[2] as string)) continue;
    out.push({ name: f[0] as string, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

function id(word: string, what: string, spec: string): number {
  const n = Number(word);
  if (n > MAX_ID) throw new UsageError(`--user ${spec}: ${what} ${word} is out of range`);
  return n;
}

/**
 * "name", "uid", "name:group", "uid:gid" (and mixes) -> ids. A numeric uid
 * missing from passwd is allowed (gid 0 then, as Docker); a name must exist.
 * Supplementary groups are those of /etc/group listing the user.
 */
export function resolveUser(spec: string, passwd: string | undefined, group: string | undefined, whose = "the image's"): ResolvedUser {
  const [userPart, groupPart, extra] = spec.split(':');
  if (extra !== undefined || !userPart) throw new UsageError(`--user ${spec}: expected name|uid[:group|gid]`);
  const users = parsePasswd(passwd ?? '');
  const groups = parseGroup(group ?? '');
  let entry: PasswdEntry | undefined;
  let uid: number;
  let gid = 0;
  if (NUMBER.test(userPart)) {
    uid = id(userPart, 'uid', spec);
    entry = users.find((u) => u.uid === uid);
  } else {
    entry = users.find((u) => u.name === userPart);
    if (!entry) throw new UsageError(`unable to find user ${userPart}: no matching entries in ${whose} /etc/passwd`);
    uid = entry.uid;
  }
  if (entry) gid = entry.gid;
  if (groupPart !== undefined) {
    if (NUMBER.test(groupPart)) gid = id(groupPart, 'gid', spec);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new UsageError(`unable to find group ${groupPart}: no matching entries in ${whose} /etc/group`);
      gid = g.gid;
    }
  }
  const name = entry?.name;
  const additionalGids =
    groupPart === undefined && name !== undefined ? [...new Set(groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid))] : [];
  return { uid, gid, additionalGids };
}

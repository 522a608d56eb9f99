// Resolves user and group names to ids from /etc/passwd and /etc/group (Node has no getpwnam).
import { readFileSync } from 'node:fs';

export interface UserInfo {
  uid: number;
  gid: number;
  name: string;
  home: string;
}

function readTable(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** A user by name or uid; a bare uid not in /etc/passwd is allowed (gid = uid, home = /). */
export function lookupUser(user: string | number, passwd = '/etc/passwd'): UserInfo {
  const rows = readTable(passwd);
  const row = typeof user === 'number' ? rows.find((r) => Number(r[2]) === user) : rows.find((r) => r[0] === user);
  if (row) return { name: row[0]!, uid: Number(row[2]), gid: Number(row[3]), home: row[5] || '/' };
  if (typeof user === 'number') return { name: String(user), uid: user, gid: user, home: '/' };
  throw new Error(`unknown user "${user}" (not in ${passwd})`);
}

/** A group id by name or gid. */
export function lookupGroup(group: string | number, file = '/etc/group'): number {
  if (typeof group === 'number') return group;
  const row = readTable(file).find((r) => r[0] === group);
  if (!row) throw new Error(`unknown group "${group}" (not in ${file})`);
  return Number(row[2]);
}

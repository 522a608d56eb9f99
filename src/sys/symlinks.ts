// The symbolic links a path goes through, for watching files that are swapped by swapping a link:
// a Kubernetes ConfigMap or Secret volume shows `tend.yaml` as a link to `..data/tend.yaml`, and
// an update points `..data` at a new folder (a link renamed over the old one). A watch of the file
// follows the old link to the old file, which never changes again; a watch of the folders that
// hold the links sees the rename.
import { lstatSync, readlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** At most this many links are followed (the kernel's own limit for a path is 40). */
const MAX_LINKS = 40;

/**
 * The links met while resolving the absolute path `file`, as the folder that holds each and its
 * name there: folder -> names. Empty when no part of the path is a link; what cannot be read
 * (a part missing) ends the walk with what was found so far.
 */
export function linksOf(file: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let path = resolve(file);
  let links = 0;
  walk: for (;;) {
    const parts = path.split(sep).filter(Boolean);
    let cur: string = sep;
    for (let k = 0; k < parts.length; k++) {
      const next = join(cur, parts[k]!);
      let target: string;
      try {
        if (!lstatSync(next).isSymbolicLink()) {
          cur = next;
          continue;
        }
        target = readlinkSync(next);
      } catch {
        break walk;
      }
      const names = out.get(cur) ?? new Set<string>();
      names.add(parts[k]!);
      out.set(cur, names);
      if (++links > MAX_LINKS) break walk;
      // resolve again from the start: the target may hold links of its own
      path = join(isAbsolute(target) ? target : resolve(dirname(next), target), ...parts.slice(k + 1));
      continue walk;
    }
    break;
  }
  return out;
}

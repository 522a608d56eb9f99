// The line kept above the prompt while the daemon does not answer (the backend retries meanwhile).
import { Text } from 'ink';
import type { LinkState } from './use-daemon-link.js';

/** Says the connection is lost, or that no daemon answered yet and where it was looked for. */
export function LinkNotice({ link, where }: { link: LinkState; where?: string }) {
  if (link === 'lost') return <Text color="yellow">connection lost — reconnecting…</Text>;
  if (link === 'down') {
    return <Text color="yellow">{`no daemon answers${where ? ` on ${where}` : ''} — retrying (start one with tend up)`}</Text>;
  }
  return null;
}

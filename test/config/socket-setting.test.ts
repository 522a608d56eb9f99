// settings.socket found by a line scan (the one-shot commands' way to the socket): agrees with
// the YAML parser on the forms people write, and still answers when the rest of the file is broken.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { scanSocketSetting } from '../../src/config/socket-setting.js';

const agreed = [
  'settings:\n  socket: /run/tend.sock\n',
  'settings:\n  socket: run/x.sock   # a comment\n',
  'settings:\n  echo: false\n  socket: "with space/and \\"quote\\".sock"\n',
  "settings:\n    socket: 'it''s.sock'\n    log_dir: logs\n",
  '# head\nservices:\n  web:\n    command: x\n    socket: not/this.sock\nsettings:\n\n  # note\n  socket: this.sock\n',
  'settings:\n  env:\n    socket: nested.sock\n  socket: top.sock\n',
  'settings: {echo: false, socket: flow.sock}\n',
  'settings: { socket: "flow quoted.sock" }\n',
  '"settings":\n  "socket": quoted-keys.sock\n',
  'settings:\n  echo: true\nservices: {}\n',
  'services:\n  web:\n    command: "socket: x"\n',
  'settings:\r\n  socket: crlf.sock\r\n',
];

describe('scanSocketSetting', () => {
  it.each(agreed)('agrees with the YAML parser: %j', (text) => {
    const doc = parse(text) as { settings?: { socket?: string } } | null;
    expect(scanSocketSetting(text)).toBe(doc?.settings?.socket);
  });

  it('reads the socket of a file broken elsewhere', () => {
    const text = 'settings:\n  socket: run/custom.sock\nservices:\n  web:\n    command: "never closed\n  - [\n';
    expect(() => parse(text)).toThrow();
    expect(scanSocketSetting(text)).toBe('run/custom.sock');
  });

  it('gives up (the default socket is used) on forms it does not read', () => {
    expect(scanSocketSetting('settings:\n  socket: |\n    x.sock\n')).toBeUndefined();
    expect(scanSocketSetting('settings:\n  socket: *anchor\n')).toBeUndefined();
    expect(scanSocketSetting('settings:\n  socket:\n')).toBeUndefined();
    expect(scanSocketSetting('settings:\n  socket: ~\n')).toBeUndefined();
  });
});

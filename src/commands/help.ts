// `tend help [COMMAND]`: the command list, or one command's page. Never reads the config or the socket.
import type { LocalCommand } from './command.js';
import { EXIT } from './command.js';
import { cliHelpText, commandHelp } from './help-text.js';
import { unknownCommandMessage } from './suggest.js';

/** `tend help`. */
export const help: LocalCommand = {
  name: 'help',
  summary: 'list the commands, or explain one',
  args: [{ name: 'COMMAND', kind: 'command', optional: true }],
  flags: [],
  examples: ['help', 'help logs'],
  notes: 'tend COMMAND --help (or -h) shows the same page.',
  async run(p, env) {
    const topic = p.positionals[0];
    if (topic === undefined) {
      env.out(cliHelpText(env.commands, env.width));
      return EXIT.ok;
    }
    const cmd = env.commands.find((c) => c.name === topic);
    // a command of the shell (`top`): what it is and where, as `tend top` says it. Imported here,
    // where it is needed: the table imports this module
    const other = cmd ? undefined : (await import('./index.js')).elsewhere(topic, 'cli');
    if (other) {
      env.err(`tend: ${other}\n`);
      return EXIT.usage;
    }
    if (!cmd) {
      env.err(
        `tend: ${unknownCommandMessage(
          topic,
          env.commands.map((c) => c.name),
        )}\n`,
      );
      return EXIT.usage;
    }
    env.out(commandHelp(cmd, 'cli', env.width) + '\n');
    return EXIT.ok;
  },
};

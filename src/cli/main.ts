/**
 * The `gawwn` command. Each subcommand lives in its own file under src/cli/ and registers itself here.
 * Errors: a GawwnError (bad input) prints one line `gawwn: <message>` and exits 2; anything else prints one
 * line and exits 1; `--debug` adds the stack trace.
 */
import { Command, CommanderError } from 'commander';
import { GawwnError } from '../util/errors.js';
import { register as registerT7 } from './t7.js';
import { register as registerEmbed } from './embed.js';
import { register as registerTrainTextEncoder } from './train-text-encoder.js';

/** A subcommand module adds itself to the program. */
export type CommandRegistrar = (program: Command) => void;

const REGISTRARS: CommandRegistrar[] = [registerT7, registerEmbed, registerTrainTextEncoder];

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const program = new Command('gawwn')
    .description('Learning What and Where to Draw (GAWWN) in TensorFlow.js')
    .option('--debug', 'print stack traces of errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const r of REGISTRARS) r(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message (unknown option, missing argument, --help).
      return e.exitCode === 0 ? 0 : 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`gawwn: ${msg.split('\n')[0]}\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
    return e instanceof GawwnError ? 2 : 1;
  }
}

/**
 * The `gawwn` command. Each subcommand lives in its own file under src/cli/ and registers itself here.
 * Error contract: every failure prints ONE line on stderr, `gawwn: <message>` (a GawwnError's
 * message starts with `file:line:` when it has them), and exits non-zero: 2 for bad input or usage (GawwnError,
 * unknown command/option, missing option), 1 for anything else. `--debug` adds the stack trace.
 */
import { Command, CommanderError } from 'commander';
import { GawwnError } from '../util/errors.js';
import { wasmMemoryError } from '../backend/select.js';
import { register as registerCheckpoint } from './checkpoint.js';
import { register as registerKernel } from './kernel.js';
import { register as registerData } from './data.js';
import { register as registerBench } from './bench.js';
import { register as registerT7 } from './t7.js';
import { register as registerEmbed } from './embed.js';
import { register as registerTrainTextEncoder } from './train-text-encoder.js';
import { register as registerTrain } from './train.js';
import { register as registerSample } from './sample.js';
import { register as registerDraw } from './draw.js';
import { register as registerDrawBench } from './draw-bench.js';
import { register as registerSoak } from './soak.js';
import { register as registerReproduce } from './reproduce.js';
import { register as registerEval } from './eval.js';
import { register as registerPublish } from './publish.js';

/** A subcommand module adds itself to the program. */
export type CommandRegistrar = (program: Command) => void;

// One entry per line (merge-friendly).
const REGISTRARS: CommandRegistrar[] = [
  registerCheckpoint,
  registerKernel,
  registerData,
  registerBench,
  registerT7,
  registerEmbed,
  registerTrainTextEncoder,
  registerTrain,
  registerSample,
  registerDraw,
  registerDrawBench,
  registerSoak,
  registerReproduce,
  registerEval,
  registerPublish,
];

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const program = new Command('gawwn')
    .description('Learning What and Where to Draw (GAWWN) in TensorFlow.js')
    .option('--debug', 'print stack traces of errors');
  for (const r of REGISTRARS) r(program);
  applyErrorContract(program);
  // `gawwn train text-encoder …` is the text encoder's trainer, registered as train-text-encoder.
  // `gawwn eval train-evaluator|table|text-binding|text-retrieval|curve …` likewise: eval-train-evaluator, eval-table, eval-text-binding, eval-text-retrieval, eval-curve.
  const args =
    argv[0] === 'train' && argv[1] === 'text-encoder'
      ? ['train-text-encoder', ...argv.slice(2)]
      : argv[0] === 'eval' && (argv[1] === 'train-evaluator' || argv[1] === 'table' || argv[1] === 'text-binding' || argv[1] === 'text-retrieval' || argv[1] === 'curve')
        ? [`eval-${argv[1]}`, ...argv.slice(2)]
        : argv;
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version, or the help commander shows when no command is given.
      if (e.exitCode === 0) return 0;
      if (e.code === 'commander.help') return 2;
      printError(e.message.replace(/^error: /, ''), debug ? e.stack : undefined);
      return 2;
    }
    const msg = wasmMemoryError(e) ?? (e instanceof GawwnError ? asFlags(e) : e instanceof Error ? e.message : String(e));
    printError(msg, debug && e instanceof Error ? e.stack : undefined);
    return e instanceof GawwnError ? 2 : 1;
  }
}

/**
 * Makes commander throw instead of exiting and keeps its own error printing quiet (we print one line); applied
 * to every subcommand too, since commands added with `addCommand` do not inherit these settings.
 */
function applyErrorContract(cmd: Command): void {
  cmd
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => undefined });
  for (const sub of cmd.commands) applyErrorContract(sub);
}

/** Library option names whose flag is not their kebab-case spelling. */
const FLAG_OF: Readonly<Record<string, string>> = Object.freeze({
  dataRoot: '--data',
  testDataRoot: '--test-data',
  batchSize: '--batch',
  outDir: '--out',
  // Not a flag: an evaluator's feature size comes from the run it continues.
  featureDim: 'featureDim',
});

/** The flag of a library option: `FLAG_OF`, else `--` and its kebab-case spelling (`maxMinutes` → `--max-minutes`). */
export function flagOf(option: string): string {
  return FLAG_OF[option] ?? `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A library error as the CLI says it: the options it names, quoted as `name` (`GawwnError.options`), spelled as flags. */
export function asFlags(e: GawwnError): string {
  let m = e.message;
  for (const o of e.options ?? []) m = m.split(`\`${o}\``).join(flagOf(o));
  return m;
}

function printError(message: string, stack: string | undefined): void {
  // One line: commander appends "(Did you mean …?)" on a second line; other errors may span lines too.
  const line = message.trim().replace(/\s*\n\s*/g, ' ');
  process.stderr.write(`gawwn: ${line}\n`);
  if (stack !== undefined) process.stderr.write(stack + '\n');
}

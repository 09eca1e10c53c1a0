/**
 * `gawwn draw [--run RUN|pretrained:NAME …] [--keypoint-gen RUN|pretrained:NAME] [--port P]`: serves
 * the interactive page on 127.0.0.1 and prints its URL. Without --run it serves every shipped box/keypoint model.
 */
import { Command } from 'commander';
import { listPretrained } from '../sampling/load.js';
import { startDrawServer } from '../draw/server.js';
import { initBackend } from '../backend/select.js';
import { GawwnError } from '../util/errors.js';

/** The shipped models the page can drive (box and keypoint families; Gk is their completer). */
export function defaultDrawRuns(): string[] {
  return listPretrained().filter((n) => /-(bbox|keypoint)$/.test(n)).map((n) => `pretrained:${n}`);
}

export function register(program: Command): void {
  program
    .command('draw')
    .description('interactive page: place a box or parts, type a caption, watch GAWWN draw (127.0.0.1 only)')
    .option('--run <run>', 'model to serve: run folder or pretrained:NAME (repeatable; default: the shipped box/keypoint models)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--keypoint-gen <run>', 'keypoint generator completing missing parts (default: the shipped one that goes with each keypoint model)')
    .option('--port <p>', 'port on 127.0.0.1 (0 = any free port)', (v) => Number(v), 8765)
    .action(async (o: { run: string[]; keypointGen?: string; port: number }) => {
      if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new GawwnError(`--port must be an integer in 0..65535, got ${o.port}`);
      const runs = o.run.length > 0 ? o.run : defaultDrawRuns();
      if (runs.length === 0) throw new GawwnError('no shipped box/keypoint models found in data/pretrained: pass --run RUN');
      const backend = await initBackend({ report: null });
      const server = await startDrawServer({ runs, keypointGen: o.keypointGen, port: o.port });
      process.stdout.write(`gawwn draw: ${server.url}  (models: ${runs.join(', ')}; backend ${backend.name}; Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}

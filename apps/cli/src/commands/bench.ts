import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { createNodeBackend, loadConfig, loadProcessor, NodeFileSource } from '@imagegpt/node';
import { Command } from 'commander';
import { formatBench } from '../bench/format-bench.js';
import { heldOutDigits } from '../bench/held-out-digits.js';
import { runBench } from '../bench/run-bench.js';
import { CliError } from '../cli-error.js';
import { EMBEDDED, type GlobalOptions, type Io } from '../context.js';
import { common } from '../main.js';
import { checkOutputs, seconds, writeOutput } from './shared.js';

interface BenchFlags extends GlobalOptions {
  quick?: boolean;
  out?: string;
  golden?: string;
}

/** The files of a golden case that the logit-error check reads. */
const GOLDEN_FILES = ['config.json', 'model.safetensors', 'io.safetensors'];

/** The `--golden` folder, resolved, once it is known to hold a golden case; refused before measuring. */
function goldenCase(dir: string): string {
  const full = resolve(dir);
  if (!existsSync(full) || !statSync(full).isDirectory())
    throw new CliError(`--golden ${dir}: no such directory`);
  const missing = GOLDEN_FILES.filter((f) => !existsSync(join(full, f)));
  if (missing.length > 0) {
    throw new CliError(
      `--golden ${dir}: not a golden case (no ${missing.join(', ')}); expected a folder such as ../shared/golden/small-causal`,
    );
  }
  return full;
}

/** `igpt bench`: decode, prefill, processor and cold-start speed against the machine's limits. */
export function benchCommand(io: Io): Command {
  return common(new Command('bench'))
    .description(
      'measure decode, prefill, processor and cold-start speed, and the memory-bandwidth limit they face',
    )
    .option('--quick', 'a smoke run of every measurement in seconds (figures are not meaningful)')
    .option('--out <file>', 'JSON results file (default: bench-results/bench-<date>.json)')
    .option('--force', 'overwrite an existing --out file')
    .option(
      '--golden <dir>',
      'a golden case folder (small-causal) for the quantized logit error; without it that check is skipped',
    )
    .addHelpText(
      'after',
      `
Models: the embedded MNIST model and a random-weight model of iGPT-small's shape (24 layers,
512 wide, 8 heads, vocab 513, 1024 positions). Each decode figure is also given as a ratio to
its limit: bytes read per step (weights + KV cache) / the measured memory bandwidth.

With --golden, each weight dtype's largest logit error against HF transformers on that case is
reported too ("pnpm bench" in the repository passes ../shared/golden/small-causal when it is there).

Examples:
  $ igpt bench
  $ igpt bench --golden ../shared/golden/small-causal
  $ igpt bench --quick --json`,
    )
    .action(async (flags: BenchFlags) => {
      // Refuse an existing --out before minutes of measuring, not after.
      checkOutputs([flags.out], flags.force);
      const smallCausalDir = flags.golden === undefined ? undefined : goldenCase(flags.golden);
      if (smallCausalDir === undefined) {
        // A note, not a log line: it says what the results lack, so it shows with --json too.
        io.err('bench: no --golden case given: the quantized logit error is skipped');
      }
      const started = performance.now();
      const threads = flags.threads ?? availableParallelism();
      const backend = createNodeBackend({ threads });
      const embeddedDir = EMBEDDED.causal;
      const embedded = new NodeFileSource(embeddedDir);
      const config = await loadConfig(embedded);
      const processor = await loadProcessor(embedded);
      if (processor === undefined) throw new CliError(`${embeddedDir}: no preprocessor_config.json`);
      const heldOut = heldOutDigits(processor, config.sosTokenId);
      const results = await runBench({
        backend,
        threads,
        embeddedDir,
        quick: flags.quick === true,
        ...(smallCausalDir === undefined ? {} : { smallCausalDir }),
        ...(heldOut === undefined ? {} : { heldOut }),
        log: (line) => {
          if (!flags.json) io.err(`bench: ${line}`);
        },
      });
      const stamp = results.date.replace(/[:.]/g, '-');
      // The default name carries the date, so it only meets a file of this very run's millisecond.
      const out = await writeOutput(
        flags.out ?? join('bench-results', `bench-${stamp}.json`),
        `${JSON.stringify(results, null, 2)}\n`,
        flags.out === undefined || flags.force,
      );
      if (flags.json) io.out(JSON.stringify({ ...results, file: out }, null, 2));
      else {
        io.out(formatBench(results));
        io.out(`\nwrote ${out} in ${seconds(performance.now() - started)}`);
      }
    });
}

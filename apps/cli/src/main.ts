import { Command, CommanderError, Option } from 'commander';
import { CliError } from './cli-error.js';
import { benchCommand } from './commands/bench.js';
import { classifyCommand } from './commands/classify.js';
import { completeCommand } from './commands/complete.js';
import { conformanceCommand } from './commands/conformance.js';
import { downloadCommand } from './commands/download.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { featuresCommand } from './commands/features.js';
import { generateCommand } from './commands/generate.js';
import { infoCommand } from './commands/info.js';
import { paletteCommand } from './commands/palette.js';
import { probeCommand } from './commands/probe.js';
import { trainHeadCommand } from './commands/train-head.js';
import { workerCommand } from './commands/worker.js';
import { type Io, processIo } from './context.js';
import { resolveModelFlag } from './hub-model.js';

/** Parses a positive integer flag, naming the flag on error. */
export function int(flag: string, min = 1) {
  return (value: string): number => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new CliError(`${flag} must be an integer >= ${min}, got "${value}"`);
    return n;
  };
}

/** Parses a finite number flag within [min, max] (max may be Infinity: no upper bound). */
export function num(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(n) || n < min || n > max) {
      const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `in [${min}, ${max}]`;
      throw new CliError(`${flag} must be a number ${range}, got "${value}"`);
    }
    return n;
  };
}

/** Options shared by every command. */
export function common(cmd: Command): Command {
  return cmd
    .option('--json', 'machine-readable output on stdout')
    .option('--verbose', 'print stack traces on errors')
    .addOption(
      new Option('--threads <n>', 'CPU threads for the runtime (default: all cores)').argParser(
        int('--threads'),
      ),
    );
}

/**
 * `--model <dir|id>` of every command that runs a model: a Hugging Face model folder or a hub id
 * (`org/name`, fetched into the hub cache); the embedded MNIST model when absent.
 */
export function modelOption(
  description = 'Hugging Face model folder or hub id org/name (default: the embedded MNIST model)',
): Option {
  return new Option('--model <dir|id>', description);
}

/** `--revision <rev>`, added to every command that has `--model`: the branch, tag or commit of a hub id. */
export function revisionOption(): Option {
  return new Option('--revision <rev>', 'branch, tag or commit of a --model hub id (default: main)');
}

/** `--scale <s>` of the commands that write a PNG grid: 8 makes 16×16 digits 128 pixels wide. */
export function scaleOption(): Option {
  return new Option('--scale <s>', 'nearest-neighbour upscale factor').default(8).argParser(int('--scale'));
}

/** The sampling flags of generate and complete: temperature 1 and no top-k or top-p unless given. */
export function sampling(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--seed <seed>', 'random seed (default: random, printed)').argParser(int('--seed', 0)),
    )
    .addOption(
      new Option(
        '--temperature <t>',
        "sampling temperature (default: the model's generation_config.json, else 1); --top-k and --top-p also default to that file's",
      )
        .default(1)
        .argParser(num('--temperature', 1e-6, 100)),
    )
    .addOption(
      new Option('--top-k <k>', 'keep only the k most likely tokens (default: all)').argParser(
        int('--top-k'),
      ),
    )
    .addOption(new Option('--top-p <p>', 'nucleus sampling threshold').argParser(num('--top-p', 1e-6, 1)));
}

/** Builds the `igpt` program; `io` is where output goes. */
export function buildProgram(io: Io): Command {
  const program = new Command('igpt')
    .description('ImageGPT.ts: generate, complete, classify and embed images with ImageGPT models')
    .version('0.1.0')
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      outputError: () => {},
    })
    .exitOverride()
    // A hub id given to --model becomes its snapshot folder before any command reads it.
    .hook('preAction', (_program, action) => resolveModelFlag(action, io));
  program.addHelpText(
    'after',
    `
With no --model, commands use the embedded MNIST model (16x16 digits).

Examples:
  $ igpt generate --n 16 --seed 1 --out digits.png
  $ igpt complete digit.png --fraction 0.5 --n 4
  $ igpt classify digit.png --json
  $ igpt generate --model openai/imagegpt-small --n 4
  $ igpt conformance ../shared/golden/tiny-causal --weights bin`,
  );
  for (const register of [
    generateCommand,
    completeCommand,
    classifyCommand,
    featuresCommand,
    probeCommand,
    trainHeadCommand,
    evalCommand,
    paletteCommand,
    exportCommand,
    infoCommand,
    conformanceCommand,
    benchCommand,
    workerCommand,
    downloadCommand,
  ]) {
    const cmd = register(io);
    if (cmd.options.some((o) => o.long === '--model')) cmd.addOption(revisionOption());
    cmd.exitOverride().configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      outputError: () => {},
    });
    program.addCommand(cmd);
  }
  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], baseIo: Io = processIo): Promise<number> {
  const verbose = argv.includes('--verbose');
  const io: Io = { ...baseIo, exitCode: 0 };
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return io.exitCode ?? 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0)
        return 0;
      // `igpt` with no command prints the usage on stderr with exit code 1; `igpt help` exits 0.
      if (e.code === 'commander.help') return e.exitCode;
      io.err(oneLine(e.message.replace(/^error: /, 'igpt: ')));
      return 1;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    const code = e instanceof CliError ? e.exitCode : 1;
    io.err(verbose && err.stack ? err.stack : `igpt: ${oneLine(err.message)}`);
    return code;
  }
}

/** The first non-empty line of a message; when more follow (a list of tensors), says how to see them. */
function oneLine(s: string): string {
  const lines = s.split('\n').filter((l) => l.trim() !== '');
  const first = lines[0]?.trim() ?? s;
  return lines.length > 1 ? `${first} (${lines.length - 1} more lines with --verbose)` : first;
}

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ConformanceCaseError,
  createNodeBackend,
  decodeImage,
  NodeFileSource,
  runConformance,
  WEIGHT_FORMATS,
  type WeightFormat,
} from '@imagegpt/node';
import { Command, Option } from 'commander';
import type { GlobalOptions, Io } from '../context.js';
import { common } from '../main.js';

/** `igpt conformance`: checks the library against a golden case folder (CONFORMANCE.md). */
export function conformanceCommand(io: Io): Command {
  return common(new Command('conformance'))
    .description(
      'check this library against a case folder in the golden format (exit 0 pass, 1 fail, 2 not a case)',
    )
    .argument('<case-dir>', 'a golden case folder (model or image-processor kind)')
    .addOption(
      new Option('--weights <format>', 'weight file of a model case')
        .choices(WEIGHT_FORMATS)
        .default('safetensors'),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ igpt conformance ../shared/golden/tiny-causal
  $ igpt conformance ../shared/golden/small-causal --weights bin --json`,
    )
    .action(async (dir: string, flags: GlobalOptions & { weights: WeightFormat }) => {
      const full = resolve(dir);
      if (!existsSync(full)) {
        io.err(`igpt: ${dir}: no such directory`);
        io.exitCode = 2;
        return;
      }
      try {
        const report = await runConformance(new NodeFileSource(full), {
          backend: createNodeBackend({ threads: flags.threads }),
          weights: flags.weights,
          decodeImage: (bytes, name) => decodeImage(bytes, { source: name }),
          onOutput: flags.json
            ? undefined
            : (o) =>
                io.out(
                  `${o.pass ? 'pass' : 'FAIL'}  ${o.name.padEnd(36)} ${
                    o.maxAbsErr !== null
                      ? `maxAbsErr ${o.maxAbsErr.toExponential(2)}`
                      : `mismatches ${o.mismatches ?? '-'}`
                  }  atol ${o.atol ?? '-'}  rtol ${o.rtol ?? '-'}${o.note ? `  (${o.note})` : ''}`,
                ),
        });
        if (flags.json) io.out(JSON.stringify(report, null, 2));
        else
          io.out(
            `${report.pass ? 'PASS' : 'FAIL'} ${report.case} (${report.kind}${report.weights ? `, ${report.weights}` : ''}): ${report.outputs.filter((o) => o.pass).length}/${report.outputs.length} outputs pass`,
          );
        io.exitCode = report.pass ? 0 : 1;
      } catch (e) {
        if (e instanceof ConformanceCaseError) {
          io.err(`igpt: ${e.message.split('\n')[0]}`);
          io.exitCode = 2;
          return;
        }
        throw e;
      }
    });
}

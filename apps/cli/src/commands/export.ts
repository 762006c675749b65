import { basename, dirname, join } from 'node:path';
import { buildImageGPTGraph } from '@imagegpt/core/graph';
import { loadCheckpoint, loadConfig, MODEL_DTYPES, type ModelDType } from '@imagegpt/node';
import { Command, Option } from 'commander';
import { CliError } from '../cli-error.js';
import { type GlobalOptions, type Io, report } from '../context.js';
import { common, modelOption } from '../main.js';
import { checkOutputs, modelFiles, seconds, writeOutput } from './shared.js';

interface ExportFlags extends GlobalOptions {
  model?: string;
  out: string;
  withPast?: boolean;
  portable?: boolean;
  hiddenStates?: boolean;
  force?: boolean;
  dtype: ModelDType;
}

/** `igpt export`: the model as an ONNX file any ONNX Runtime can load. */
export function exportCommand(io: Io): Command {
  return common(new Command('export'))
    .description(
      'write the model as an ONNX file (standard ONNX ops, opset 17) that ONNX Runtime loads in any language',
    )
    .addOption(modelOption())
    .option('--out <file>', 'output .onnx file', 'model.onnx')
    .option(
      '--with-past',
      'add KV-cache inputs past_key_values.{i}.key/value and outputs present.{i}.key/value',
    )
    .option('--portable', 'standard ONNX ops only (the default graph already uses no contrib ops)')
    .option('--hidden-states', 'also output hidden_states.{0..n_layer}')
    .addOption(
      new Option(
        '--dtype <dtype>',
        'weight storage: fp16 halves the file; q8/q4 use MatMulNBits (com.microsoft, ONNX Runtime only)',
      )
        .choices([...MODEL_DTYPES])
        .default('fp32'),
    )
    .option('--force', 'overwrite existing output files')
    .addHelpText(
      'after',
      `
Inputs: input_ids [B,T] int64, attention_mask [B,P+T] int64, position_ids [B,T] int64
(and with --with-past: past_key_values.{i}.key/value [B,H,P,D] float32).
Outputs: logits (and present.{i}.key/value with --with-past). Weights over 2 GB go to
<out>.data (ONNX external data) beside the model.

Examples:
  $ igpt export --out mnist.onnx
  $ igpt export --model ./igpt-small --out small.onnx --with-past
  $ igpt export --out mnist-q8.onnx --dtype q8`,
    )
    .action(async (flags: ExportFlags) => {
      checkOutputs([flags.out, `${flags.out}.data`], flags.force);
      const started = performance.now();
      if (flags.portable && (flags.dtype === 'q8' || flags.dtype === 'q4')) {
        throw new CliError(
          `--dtype ${flags.dtype} needs MatMulNBits, a com.microsoft op; --portable allows standard ONNX ops only`,
        );
      }
      const files = modelFiles(flags.model, 'causal');
      const config = await loadConfig(files);
      const head = config.architectures?.includes('ImageGPTForImageClassification') ? 'classifier' : 'causal';
      const checkpoint = await loadCheckpoint(files);
      const graphOptions = {
        head,
        outputHiddenStates: flags.hiddenStates === true,
        withPast: flags.withPast === true,
        dtype: flags.dtype,
        externalDataPath: `${basename(flags.out)}.data`,
      } satisfies Parameters<typeof buildImageGPTGraph>[2];
      const artifact = buildImageGPTGraph(config, checkpoint, graphOptions);
      const written: string[] = [];
      written.push(await writeOutput(flags.out, artifact.model, flags.force));
      for (const ext of artifact.externalData ?? []) {
        written.push(await writeOutput(join(dirname(flags.out), ext.path), ext.data, flags.force));
      }
      const ms = performance.now() - started;
      report(
        io,
        flags,
        { files: written, head, withPast: flags.withPast === true, ms: Math.round(ms) },
        () => [
          `wrote ${written.join(', ')} (${head} head${flags.withPast ? ', with KV cache' : ''}) in ${seconds(ms)}`,
        ],
      );
    });
}

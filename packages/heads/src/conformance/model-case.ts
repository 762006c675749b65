import { ImageGPTConfig, type ModelHead, PROBLEM_TYPES, type ProblemType } from '@imagegpt/config';
import {
  type Checkpoint,
  type FileSource,
  type ForwardResult,
  generate,
  ImageGPTRunner,
  loadCheckpoint,
} from '@imagegpt/core';
import { applyWarpers, softmaxRows } from '@imagegpt/core/generation';
import { readJsonText } from '@imagegpt/core/io';
import { type ClassifierLabels, causalLoss, classifierLoss, resolveProblemType } from '../cross-entropy.js';
import {
  type CaseMeta,
  ConformanceCaseError,
  caseName,
  errText,
  type IoTensor,
  ioRows,
  outputTolerance,
  readCaseIo,
} from './case-files.js';
import { type ConformanceOutput, compareExactFloats, compareFloats, compareIntegers } from './compare.js';
import { type ConformanceReport, finishReport, unknownOutput } from './report.js';
import type { ConformanceOptions } from './run-conformance.js';

/** Tensors of io.safetensors that are inputs and never compared. */
const INPUTS = new Set([
  'input_ids',
  'labels',
  'attention_mask',
  'position_ids',
  'split_input_ids_a',
  'split_input_ids_b',
  'greedy_sos_prompt',
  'greedy_prefix_prompt',
  'warp_scores',
]);
const ROW_INPUT = /^row(\d+)_unpadded_input_ids$/;

/**
 * Runs a model case: loads config and weights, then computes every output of io.safetensors from
 * its inputs on the backend under test and compares it with the reference.
 */
export async function runModelCase(
  files: FileSource,
  meta: CaseMeta,
  options: ConformanceOptions,
): Promise<ConformanceReport> {
  const weights = options.weights ?? 'safetensors';
  const config = await readConfig(files);
  let checkpoint: Checkpoint;
  try {
    // The format under test only: its single file, or its index and shards.
    checkpoint = await loadCheckpoint(files, { formats: [weights] });
  } catch (e) {
    throw new ConformanceCaseError(errText(e));
  }
  const weightFile = checkpoint.source;
  const io = await readCaseIo(files);
  const problem = problemType(meta, files);
  const head: ModelHead = meta.head === 'ImageGPTForImageClassification' ? 'classifier' : 'causal';
  let runner: ImageGPTRunner;
  try {
    runner = await ImageGPTRunner.create({ backend: options.backend, config, checkpoint, head });
  } catch (e) {
    // Weights that do not fit the config make the case unreadable (exit 2), not a failed output.
    throw new ConformanceCaseError(`${weightFile}: ${errText(e)}`);
  }
  const outputs: ConformanceOutput[] = [];
  const push = (o: ConformanceOutput) => {
    outputs.push(o);
    options.onOutput?.(o);
  };
  try {
    const computer = new ModelOutputs(runner, config, io, problem);
    for (const name of [...io.keys()].sort()) {
      if (INPUTS.has(name) || ROW_INPUT.test(name)) continue;
      push(await computer.compare(name, outputTolerance(meta, name)));
    }
  } finally {
    await runner.dispose();
  }
  return finishReport({ case: caseName(files, meta), kind: 'model', weights, outputs });
}

/** meta.json's `problem_type` (CONFORMANCE.md: it wins over the config's); an unknown one makes the case unreadable. */
function problemType(meta: CaseMeta, files: FileSource): ProblemType | undefined {
  const given = meta.problem_type;
  if (given === undefined || given === null) return undefined;
  if (!(PROBLEM_TYPES as readonly unknown[]).includes(given)) {
    throw new ConformanceCaseError(
      `${files.location}/meta.json: problem_type is ${JSON.stringify(given)}, expected one of ${PROBLEM_TYPES.join(', ')}`,
    );
  }
  return given as ProblemType;
}

async function readConfig(files: FileSource): Promise<ImageGPTConfig> {
  let text: string;
  try {
    text = await readJsonText(files, 'config.json');
  } catch (e) {
    throw new ConformanceCaseError(`${files.location}/config.json: cannot read (${errText(e)})`);
  }
  try {
    return ImageGPTConfig.parse(text, `${files.location}/config.json`);
  } catch (e) {
    throw new ConformanceCaseError(errText(e));
  }
}

/** Computes each named output of a model case, memoising the forward passes it shares. */
class ModelOutputs {
  private readonly memo = new Map<string, Promise<ForwardResult>>();

  constructor(
    private readonly runner: ImageGPTRunner,
    private readonly config: ImageGPTConfig,
    private readonly io: Map<string, IoTensor>,
    private readonly problemType: ProblemType | undefined,
  ) {}

  /** Whether io.safetensors holds an output whose name starts with `prefix`: only then is the attention session opened. */
  private wants(prefix: string): boolean {
    return [...this.io.keys()].some((name) => name.startsWith(prefix));
  }

  private forward(key: string, make: () => Promise<ForwardResult>): Promise<ForwardResult> {
    let p = this.memo.get(key);
    if (!p) {
      p = make();
      this.memo.set(key, p);
    }
    return p;
  }

  private input(name: string): number[][] {
    const r = ioRows(this.io.get(name));
    if (!r) throw new Error(`input ${name} is missing from io.safetensors`);
    return r;
  }

  private main(): Promise<ForwardResult> {
    return this.forward('main', () =>
      this.runner.forward(this.input('input_ids'), {
        attentionMask: ioRows(this.io.get('attention_mask')),
        outputHiddenStates: true,
        outputAttentions: this.wants('attentions.'),
      }),
    );
  }

  private withPositions(): Promise<ForwardResult> {
    return this.forward('positions', () =>
      this.runner.forward(this.input('input_ids'), {
        attentionMask: ioRows(this.io.get('attention_mask')),
        positionIds: this.input('position_ids'),
      }),
    );
  }

  private splitA(): Promise<ForwardResult> {
    return this.forward('a', () => this.runner.forward(this.input('split_input_ids_a')));
  }

  private async splitB(): Promise<ForwardResult> {
    const a = await this.splitA();
    return this.forward('b', () =>
      this.runner.forward(this.input('split_input_ids_b'), {
        past: a.presents,
        outputAttentions: this.wants('split_attentions_b.'),
      }),
    );
  }

  async compare(name: string, tol: { atol: number | undefined; rtol: number }): Promise<ConformanceOutput> {
    const ref = this.io.get(name)!;
    try {
      const got = await this.compute(name);
      if (got === undefined) return unknownOutput(name);
      if (ref.int) return compareIntegers(name, got as ArrayLike<number>, ref.int);
      if (tol.atol === undefined) return compareExactFloats(name, got as ArrayLike<number>, ref.float!);
      const include = name === 'logits' ? this.realQueries(ref.shape) : undefined;
      return compareFloats(name, got as ArrayLike<number>, ref.float!, tol.atol, tol.rtol, include);
    } catch (e) {
      return {
        name,
        maxAbsErr: null,
        mismatches: null,
        atol: tol.atol ?? null,
        rtol: tol.rtol,
        pass: false,
        note: `error: ${errText(e)}`,
      };
    }
  }

  /** With an attention mask, `logits` may leave out padded query positions (CONFORMANCE.md). */
  private realQueries(shape: number[]): ((i: number) => boolean) | undefined {
    const mask = ioRows(this.io.get('attention_mask'));
    if (!mask || shape.length !== 3) return undefined;
    const [, t = 0, v = 0] = shape;
    return (i) => mask[Math.floor(i / (t * v))]![Math.floor(i / v) % t] === 1;
  }

  private async compute(name: string): Promise<ArrayLike<number> | undefined> {
    let m: RegExpMatchArray | null;
    if (name === 'logits') return (await this.main()).logits.data as Float32Array;
    if (name === 'last_hidden_state') return (await this.main()).lastHiddenState.data as Float32Array;
    if (name === 'pooled') return (await this.main()).pooled?.data as Float32Array | undefined;
    if ((m = name.match(/^hidden_states\.(\d+)$/)))
      return (await this.main()).hiddenStates?.[Number(m[1])]?.data as Float32Array;
    if ((m = name.match(/^past_key_values\.(\d+)\.(key|value)$/))) return kv(await this.main(), m);
    if ((m = name.match(/^attentions\.(\d+)$/)))
      return (await this.main()).attentions?.[Number(m[1])]?.data as Float32Array | undefined;
    if ((m = name.match(/^split_attentions_b\.(\d+)$/)))
      return (await this.splitB()).attentions?.[Number(m[1])]?.data as Float32Array | undefined;
    if (name === 'logits_with_position_ids') return (await this.withPositions()).logits.data as Float32Array;
    if (name === 'loss') return [await this.loss()];
    if (name === 'split_logits_a') return (await this.splitA()).logits.data as Float32Array;
    if (name === 'split_logits_b') return (await this.splitB()).logits.data as Float32Array;
    if ((m = name.match(/^split_past_key_values_a\.(\d+)\.(key|value)$/))) return kv(await this.splitA(), m);
    if ((m = name.match(/^split_past_key_values_b\.(\d+)\.(key|value)$/))) return kv(await this.splitB(), m);
    if ((m = name.match(/^row(\d+)_unpadded_logits$/))) {
      const ids = this.input(`row${m[1]}_unpadded_input_ids`);
      return (await this.forward(name, () => this.runner.forward(ids))).logits.data as Float32Array;
    }
    if ((m = name.match(/^greedy_(.+)_(ids|scores)$/))) return this.greedy(m[1]!, m[2] as 'ids' | 'scores');
    if ((m = name.match(/^(warp_.+?)(_probs)?$/))) return this.warp(m[1]!, m[2] !== undefined);
    return undefined;
  }

  private async loss(): Promise<number> {
    const out = await this.main();
    const logits = out.logits.data as Float32Array;
    if (this.runner.head === 'classifier') {
      const labels = classifierLabels(this.io.get('labels'));
      const { numLabels } = this.config;
      const problem = this.problemType ?? resolveProblemType(this.config.problemType, numLabels, labels);
      return classifierLoss(logits, labels, numLabels, problem);
    }
    return causalLoss(logits, this.input('input_ids'), this.config.vocabSize - 1);
  }

  private async greedy(which: string, part: 'ids' | 'scores'): Promise<ArrayLike<number> | undefined> {
    const promptName = `greedy_${which}_prompt`;
    if (!this.io.has(promptName)) return undefined;
    const key = `greedy:${which}`;
    let p = this.greedyMemo.get(key);
    if (!p) {
      p = generate(this.runner, {
        prompt: this.input(promptName),
        maxLength: this.config.nPositions + 1,
        doSample: false,
        outputScores: true,
      });
      this.greedyMemo.set(key, p);
    }
    const result = await p;
    if (part === 'ids') return result.sequences.flat();
    // Reference layout [B, steps, V-1]; ours is one [B, V-1] block per step.
    const steps = result.scores ?? [];
    const v = this.config.vocabSize - 1;
    const b = result.sequences.length;
    const out = new Float32Array(b * steps.length * v);
    steps.forEach((s, step) => {
      for (let r = 0; r < b; r++) out.set(s.subarray(r * v, (r + 1) * v), (r * steps.length + step) * v);
    });
    return out;
  }

  private readonly greedyMemo = new Map<string, ReturnType<typeof generate>>();

  private warp(name: string, probs: boolean): ArrayLike<number> | undefined {
    const scores = this.io.get('warp_scores');
    if (!scores?.float) throw new Error('warp outputs need `warp_scores`');
    const rowsCount = scores.shape[0] ?? 1;
    let m: RegExpMatchArray | null;
    let settings: { temperature?: number; topK?: number; topP?: number };
    if (name === 'warp_chain') settings = { temperature: 0.7, topK: 5, topP: 0.9 };
    else if ((m = name.match(/^warp_temperature_([\d.eE+-]+)$/))) settings = { temperature: Number(m[1]) };
    else if ((m = name.match(/^warp_top_k_(\d+)$/))) settings = { topK: Number(m[1]) };
    else if ((m = name.match(/^warp_top_p_([\d.eE+-]+)$/))) settings = { topP: Number(m[1]) };
    else return undefined;
    if (Object.values(settings).some((x) => !Number.isFinite(x))) return undefined;
    const warped = applyWarpers(Float32Array.from(scores.float), rowsCount, settings);
    return probs ? softmaxRows(warped, rowsCount) : warped;
  }
}

/**
 * The classifier's `labels` as HF reads them: integer labels are class indices (one per row), float
 * labels of shape [B] one target per row, of shape [B, L] per-label targets.
 */
function classifierLabels(t: IoTensor | undefined): ClassifierLabels {
  if (t === undefined) throw new Error('classifier loss needs `labels`');
  if (t.int) return Array.from(t.int, Number);
  const values = Array.from(t.float ?? [], Number);
  if (t.shape.length <= 1) return values;
  const [b = 1, ...rest] = t.shape;
  const width = rest.reduce((a, c) => a * c, 1);
  return Array.from({ length: b }, (_, r) => values.slice(r * width, (r + 1) * width));
}

function kv(out: ForwardResult, m: RegExpMatchArray): Float32Array | undefined {
  const layer = out.presents.layers[Number(m[1])];
  return layer?.[m[2] as 'key' | 'value'].data as Float32Array | undefined;
}

import { z } from 'zod';
import { ConfigError } from './config-error.js';
import {
  ALIASES,
  type ConfigFields,
  configFieldsSchema,
  KNOWN_KEYS,
  MAX_EXTRA_DEPTH,
  MAX_LABELS,
} from './config-schema.js';

/** A config object after validation: known keys typed, labels settled, the rest kept as-is. */
export interface ReadConfig {
  readonly fields: ConfigFields;
  readonly id2label: Record<number, string>;
  readonly label2id: Record<string, number>;
  /** Whether the input spelled out its labels; they are then written back even if they are the defaults. */
  readonly labelsGiven: boolean;
  readonly extras: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a parsed `config.json` the way HF's `ImageGPTConfig(**json)` reads it: aliases folded
 * into the ImageGPT names, labels completed from one another, unknown keys kept.
 */
export function readConfig(json: unknown, file?: string): ReadConfig {
  const fail = (field: string | undefined, value: unknown, expected: string): never => {
    throw new ConfigError({ file, field, value, expected });
  };
  if (!isRecord(json)) return fail(undefined, json, 'a JSON object of config keys');

  // Remember which spelling each value came from, so errors name the key the user actually wrote.
  const known: Record<string, unknown> = {};
  const spelledAs = new Map<string, string>();
  const extras: [string, unknown][] = [];
  for (const [key, value] of Object.entries(json)) {
    const alias = Object.hasOwn(ALIASES, key) ? ALIASES[key as keyof typeof ALIASES] : undefined;
    const canonical = alias ?? (KNOWN_KEYS.has(key) ? key : undefined);
    if (canonical === undefined) {
      // zod's JSON check recurses, so a value nested thousands deep would overflow the stack in it.
      if (nestsDeeperThan(value, MAX_EXTRA_DEPTH)) {
        fail(key, value, `a JSON value nested at most ${MAX_EXTRA_DEPTH} levels deep`);
      }
      // Validate only: zod's copy would drop nested "__proto__" keys, and toJSON deep-copies anyway.
      extras.push([key, z.json().safeParse(value).success ? value : fail(key, value, 'a JSON value')]);
      continue;
    }
    if (canonical in known && known[canonical] !== value) {
      fail(
        key,
        value,
        `the same value as ${spelledAs.get(canonical)} (${String(known[canonical])}), since both name one field`,
      );
    }
    known[canonical] = value;
    spelledAs.set(canonical, key);
  }

  // Checked before zod, which would otherwise validate every entry of a map with millions of labels.
  for (const map of ['id2label', 'label2id'] as const) {
    const labels = known[map];
    if (isRecord(labels) && Object.keys(labels).length > MAX_LABELS) {
      const field = spelledAs.get(map) ?? map;
      fail(field, labels, `at most ${MAX_LABELS} labels (ImageNet-21k has 21,843)`);
    }
  }

  const result = configFieldsSchema.safeParse(known);
  if (!result.success) {
    const issue = result.error.issues[0];
    const [head = '', ...rest] = issue?.path.map(String) ?? [];
    // A bad record key is the key itself, not what it maps to.
    const given =
      issue?.code === 'invalid_key'
        ? issue.path.at(-1)
        : issue?.path.reduce<unknown>((v, k) => (isRecord(v) ? v[k as string] : undefined), known);
    const field = [spelledAs.get(head) ?? head, ...rest].join('.');
    const expected = issue?.message ?? 'a valid config';
    // A cross-field check can fault a key the file left out; name its default rather than "missing".
    const defaulted = given === undefined && !(head in known) ? defaultOf(head) : undefined;
    return defaulted === undefined
      ? fail(field, given, expected)
      : fail(`${field} (not given; the default)`, defaulted, expected);
  }
  const fields = result.data;
  // zod's copies of the label maps would lose a label named "__proto__"; the originals are now validated.
  const { id2label, label2id } = known as Pick<ConfigFields, 'id2label' | 'label2id'>;
  // fromEntries, not assignment, so a key like "__proto__" stays an ordinary key.
  return {
    fields,
    ...readLabels({ ...fields, id2label, label2id }, fail),
    extras: Object.fromEntries(extras),
  };
}

/** HF's default for a top-level config key, as the schema fills it in; undefined when it has none. */
function defaultOf(key: string): unknown {
  const parsed = configFieldsSchema.shape[key as keyof typeof configFieldsSchema.shape]?.safeParse(undefined);
  return parsed?.success === true ? parsed.data : undefined;
}

/**
 * Whether any array or object inside `value` sits more than `maxDepth` containers deep. Walks with
 * an explicit stack, so the check itself cannot overflow; a cycle counts as too deep.
 */
function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [item, depth] = top;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > maxDepth) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** HF's `PretrainedConfig` label rules: id2label wins, else `num_labels` (default 2) generic labels. */
function readLabels(
  { id2label, label2id, num_labels }: ConfigFields,
  fail: (field: string, value: unknown, expected: string) => never,
): Pick<ReadConfig, 'id2label' | 'label2id' | 'labelsGiven'> {
  let names: string[];
  if (id2label !== undefined) {
    names = Object.keys(id2label).map(
      (_, i) => id2label[String(i)] ?? fail('id2label', id2label, 'label ids 0, 1, ... with no gaps'),
    );
  } else if (label2id !== undefined) {
    names = [];
    for (const [name, id] of Object.entries(label2id)) names[id] = name;
    if (names.length !== Object.keys(label2id).length || names.some((n) => n === undefined)) {
      fail('label2id', label2id, 'label ids 0, 1, ... with no gaps');
    }
  } else {
    names = Array.from({ length: num_labels ?? 2 }, (_, i) => `LABEL_${i}`);
  }
  const given = id2label !== undefined || label2id !== undefined;
  if (given && num_labels !== undefined && num_labels !== names.length) {
    fail(
      'num_labels',
      num_labels,
      `${names.length}, the number of entries in ${id2label ? 'id2label' : 'label2id'}`,
    );
  }
  if (label2id !== undefined && !names.every((name, i) => label2id[name] === i)) {
    fail('label2id', label2id, 'the inverse of id2label');
  }
  return {
    id2label: Object.freeze(Object.fromEntries(names.map((name, i) => [i, name]))),
    label2id: Object.freeze(Object.fromEntries(names.map((name, i) => [name, i]))),
    labelsGiven: given,
  };
}

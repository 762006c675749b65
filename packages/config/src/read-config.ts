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
import { type JsonFail, JsonReader, readJsonMembers } from './json-reader.js';

/** A config object after validation: known keys typed, labels settled, the rest kept as-is. */
export interface ReadConfig {
  readonly fields: ConfigFields;
  readonly id2label: Record<number, string>;
  readonly label2id: Record<string, number>;
  /** Whether the input spelled out its labels; they are then written back even if they are the defaults. */
  readonly labelsGiven: boolean;
  /**
   * Unknown keys, each with a function giving its value (parsed anew from the file's text each
   * time): never walked while reading, only when the config is written back.
   */
  readonly extras: readonly (readonly [string, () => unknown])[];
}

/** One top-level key of a config: its value, parsed only when used, and its JSON text. */
interface Member {
  /** How many JSON values it holds (itself included): what parsing it would build. */
  readonly values: number;
  value(): unknown;
  /** For an unknown key: a function giving its value when written back; refuses a value JSON cannot hold. */
  extra(): () => unknown;
}

/**
 * The most JSON values any known key may hold: id2label or label2id with {@link MAX_LABELS}
 * labels. Checked on the text before a value is parsed, so no key builds more than that.
 */
const MAX_KNOWN_VALUES = MAX_LABELS + 1;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a parsed `config.json` object the way HF's `ImageGPTConfig(**json)` reads it: aliases
 * folded into the ImageGPT names, labels completed from one another, unknown keys kept (checked to
 * be JSON, then held as text).
 */
export function readConfig(json: unknown, file?: string): ReadConfig {
  if (!isRecord(json)) throw new ConfigError({ file, value: json, expected: 'a JSON object of config keys' });
  const members = Object.entries(json).map(([key, value]): [string, Member] => [
    key,
    {
      values: 1,
      value: () => value,
      extra: () => {
        // zod's JSON check recurses, so a value nested thousands deep would overflow the stack in it.
        if (nestsDeeperThan(value, MAX_EXTRA_DEPTH)) {
          throw new ConfigError({
            file,
            field: key,
            value,
            expected: `a JSON value nested at most ${MAX_EXTRA_DEPTH} levels deep`,
          });
        }
        // Validate only: zod's copy would drop nested "__proto__" keys.
        if (!z.json().safeParse(value).success) {
          throw new ConfigError({ file, field: key, value, expected: 'a JSON value' });
        }
        return () => value;
      },
    },
  ]);
  return readMembers(members, file);
}

/**
 * Reads the text of a `config.json` in one linear pass (see `readJsonMembers`): only the known
 * keys are parsed and validated, each after a check that its text holds no more values than a
 * config needs; unknown keys stay text, never walked. Nesting deeper than {@link MAX_EXTRA_DEPTH}
 * under any key is refused.
 */
export function readConfigText(text: string, file?: string): ReadConfig {
  const kind = new JsonReader(text, { fail: jsonFail(file) }).peek();
  if (kind !== 'object') {
    throw new ConfigError({
      file,
      expected: `a JSON object of config keys, not ${kind === 'array' ? 'an array' : `a ${kind}`}`,
    });
  }
  const members = readJsonMembers(text, {
    // The document is one level, so its values may nest MAX_EXTRA_DEPTH more.
    maxDepth: MAX_EXTRA_DEPTH + 1,
    fail: jsonFail(file),
  });
  return readMembers(
    [...members].map(([key, { text: json, values }]): [string, Member] => [
      key,
      { values, value: () => JSON.parse(json), extra: () => () => JSON.parse(json) },
    ]),
    file,
  );
}

/** The ConfigError for a fault in the text, naming the top-level key it sits under. */
function jsonFail(file: string | undefined): JsonFail {
  return (message, offset, key) => {
    const expected = `JSON text (${message} at character ${offset})`;
    return new ConfigError(key === undefined ? { file, expected } : { file, field: key, expected });
  };
}

function readMembers(members: readonly (readonly [string, Member])[], file: string | undefined): ReadConfig {
  const fail = (field: string | undefined, value: unknown, expected: string): never => {
    throw new ConfigError({ file, field, value, expected });
  };
  // Remember which spelling each value came from, so errors name the key the user actually wrote.
  const known: Record<string, unknown> = {};
  const spelledAs = new Map<string, string>();
  const extras: [string, () => unknown][] = [];
  for (const [key, member] of members) {
    const alias = Object.hasOwn(ALIASES, key) ? ALIASES[key as keyof typeof ALIASES] : undefined;
    const canonical = alias ?? (KNOWN_KEYS.has(key) ? key : undefined);
    if (canonical === undefined) {
      extras.push([key, member.extra()]);
      continue;
    }
    if (member.values > MAX_KNOWN_VALUES) {
      fail(
        key,
        `${member.values} JSON values`,
        `at most ${MAX_KNOWN_VALUES} (${MAX_LABELS} labels and their object)`,
      );
    }
    const value = member.value();
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
    extras,
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

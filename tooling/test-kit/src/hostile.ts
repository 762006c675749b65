// Shared by the hostile-input tests (config, processor, images, checkpoints): run one case, count it,
// and fail it when it throws anything but the package's typed error or runs over the time budget.
import fc from 'fast-check';
/** A case ends in the package's typed error or in an accepted value. */
export type Outcome<T, E> = { kind: 'typed'; error: E } | { kind: 'accepted'; value: T };

/**
 * Counts hostile cases. A crash (any other error) or a case over `budgetMs` throws, so fast-check
 * shrinks and reports the input; {@link summary} gives the counts the issue note reports.
 */
export class HostileTally<E extends Error> {
  tried = 0;
  typedErrors = 0;
  accepted = 0;
  crashes = 0;
  overBudget = 0;
  readonly samples: string[] = [];

  /** `isTyped` recognises the expected error; `expected` names it in failures ("a ConfigError"). */
  constructor(
    private readonly isTyped: (e: unknown) => e is E,
    private readonly expected: string,
    readonly budgetMs = 1000,
  ) {}

  /** Runs a synchronous case. */
  attempt<T>(label: string, run: () => T): Outcome<T, E> {
    const start = this.#begin();
    try {
      return this.#end(label, start, { kind: 'accepted', value: run() });
    } catch (e) {
      return this.#end(label, start, this.#typed(label, e));
    }
  }

  /** Runs an asynchronous case. */
  async attemptAsync<T>(label: string, run: () => Promise<T>): Promise<Outcome<T, E>> {
    const start = this.#begin();
    try {
      return this.#end(label, start, { kind: 'accepted', value: await run() });
    } catch (e) {
      return this.#end(label, start, this.#typed(label, e));
    }
  }

  /** One line of counts, plus the first failures. */
  summary(what: string, typedName: string, acceptedName = 'accepted as valid'): string {
    return (
      `hostile ${what}: ${this.tried} cases tried, ${this.typedErrors} typed errors (${typedName}), ` +
      `${this.accepted} ${acceptedName}, ${this.crashes} crashes (other error types), ` +
      `${this.overBudget} over the ${this.budgetMs} ms budget` +
      (this.samples.length > 0 ? `\n  ${this.samples.join('\n  ')}` : '')
    );
  }

  #begin(): number {
    this.tried++;
    return performance.now();
  }

  #typed(label: string, e: unknown): Outcome<never, E> {
    if (this.isTyped(e)) return { kind: 'typed', error: e };
    this.crashes++;
    const what = e instanceof Error ? `${e.name}: ${e.message.slice(0, 120)}` : String(e);
    this.#sample(`${label}: ${what}`);
    throw new Error(`${label}: threw ${what}, expected ${this.expected}`);
  }

  #end<T>(label: string, start: number, outcome: Outcome<T, E>): Outcome<T, E> {
    const ms = performance.now() - start;
    if (ms > this.budgetMs) {
      this.overBudget++;
      this.#sample(`${label}: took ${ms.toFixed(0)} ms`);
      throw new Error(`${label}: took ${ms.toFixed(0)} ms, over the ${this.budgetMs} ms budget`);
    }
    if (outcome.kind === 'typed') this.typedErrors++;
    else this.accepted++;
    return outcome;
  }

  #sample(line: string): void {
    if (this.samples.length < 10) this.samples.push(line);
  }
}

/** `text` with 1 to 4 characters replaced by random ones (codes 0–255): damaged files for fast-check. */
export function flippedText(text: string): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(fc.nat({ max: text.length - 1 }), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    })
    .map((flips) => {
      const chars = [...text];
      for (const [at, code] of flips) chars[at] = String.fromCharCode(code);
      return chars.join('');
    });
}

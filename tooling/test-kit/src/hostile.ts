// Shared by the hostile-input tests (config, processor, images, checkpoints): run one case, count it,
// and fail it when it throws anything but the package's typed error or runs over its budget.
import fc from 'fast-check';
import { type ChildRun, type ChildSpec, runMeasured } from './child.js';

export { type ChildRun, type ChildSpec, runMeasured } from './child.js';

/**
 * What one hostile case may cost. The budget is work, not speed: CPU time stays close to the work
 * done when the machine is loaded (CI runs on 2 shared cores), where wall-clock time can stretch
 * tenfold. The wall clock only has a ceiling meant to catch a hang (a blocked open, a wait on
 * input that never comes), far above any honest case.
 */
export interface HostileBudget {
  /**
   * CPU time (user + system, every thread of this process) one case may take. A hostile file that
   * costs more than linear time takes tens of seconds; an honest refusal takes milliseconds.
   */
  readonly cpuMs: number;
  /** Wall-clock ceiling of one case: the 20 s for a one-line refusal. */
  readonly wallMs: number;
  /** Peak resident memory of a case run in a child process ({@link HostileTally.attemptChild}). */
  readonly rssBytes: number;
}

/** The budget every hostile case is held to unless its tally says otherwise. */
export const DEFAULT_HOSTILE_BUDGET: HostileBudget = Object.freeze({
  cpuMs: 2000,
  wallMs: 20_000,
  rssBytes: 2 ** 30,
});

/** CPU time of this process so far, in milliseconds. */
export function cpuTimeMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
/** A case ends in the package's typed error or in an accepted value. */
export type Outcome<T, E> = { kind: 'typed'; error: E } | { kind: 'accepted'; value: T };

/**
 * Counts hostile cases. A crash (any other error) or a case over the budget throws, so fast-check
 * shrinks and reports the input; {@link summary} gives the counts the issue note reports.
 */
export class HostileTally<E extends Error> {
  tried = 0;
  typedErrors = 0;
  accepted = 0;
  crashes = 0;
  overBudget = 0;
  readonly samples: string[] = [];

  /** What each case may cost. */
  readonly budget: HostileBudget;

  /** `isTyped` recognises the expected error; `expected` names it in failures ("a ConfigError"). */
  constructor(
    private readonly isTyped: (e: unknown) => e is E,
    private readonly expected: string,
    budget: Partial<HostileBudget> = {},
  ) {
    this.budget = { ...DEFAULT_HOSTILE_BUDGET, ...budget };
  }

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

  /**
   * Runs a case in a child Node process ({@link runMeasured}), held to the budget by the child's
   * own CPU time, its wall-clock time (it is killed at the ceiling) and its peak RSS. `judge`
   * reads the finished run: it returns the accepted value, throws the typed error for a refusal,
   * or throws anything else for a crash.
   */
  attemptChild<T>(
    label: string,
    spec: ChildSpec,
    judge: (run: ChildRun) => T,
  ): Outcome<T, E> & { run: ChildRun } {
    this.tried++;
    const run = runMeasured(spec, this.budget.wallMs);
    const costs = [
      run.timedOut ? `ran past ${this.budget.wallMs} ms of wall-clock time (killed)` : '',
      (run.cpuMs ?? 0) > this.budget.cpuMs ? `took ${run.cpuMs?.toFixed(0)} ms of CPU` : '',
      (run.peakRssBytes ?? 0) > this.budget.rssBytes
        ? `peaked at ${((run.peakRssBytes ?? 0) / 2 ** 20).toFixed(0)} MiB of memory`
        : '',
    ].filter((cost) => cost !== '');
    if (costs.length > 0) {
      this.overBudget++;
      const why = `${label}: ${costs.join(', ')}`;
      this.#sample(why);
      const limits = `${this.budget.cpuMs} ms CPU, ${this.budget.wallMs} ms wall, ${this.budget.rssBytes / 2 ** 20} MiB`;
      throw new Error(`${why}; over the budget of ${limits} (stderr: ${run.stderr.slice(0, 300)})`);
    }
    let outcome: Outcome<T, E>;
    try {
      outcome = { kind: 'accepted', value: judge(run) };
    } catch (e) {
      outcome = this.#typed(label, e);
    }
    if (outcome.kind === 'typed') this.typedErrors++;
    else this.accepted++;
    return { ...outcome, run };
  }

  /** One line of counts, plus the first failures. */
  summary(what: string, typedName: string, acceptedName = 'accepted as valid'): string {
    return (
      `hostile ${what}: ${this.tried} cases tried, ${this.typedErrors} typed errors (${typedName}), ` +
      `${this.accepted} ${acceptedName}, ${this.crashes} crashes (other error types), ` +
      `${this.overBudget} over the budget (${this.budget.cpuMs} ms CPU, ${this.budget.wallMs} ms wall per case)` +
      (this.samples.length > 0 ? `\n  ${this.samples.join('\n  ')}` : '')
    );
  }

  #begin(): { wall: number; cpu: number } {
    this.tried++;
    return { wall: performance.now(), cpu: cpuTimeMs() };
  }

  #typed(label: string, e: unknown): Outcome<never, E> {
    if (this.isTyped(e)) return { kind: 'typed', error: e };
    this.crashes++;
    const what = e instanceof Error ? `${e.name}: ${e.message.slice(0, 120)}` : String(e);
    this.#sample(`${label}: ${what}`);
    throw new Error(`${label}: threw ${what}, expected ${this.expected}`);
  }

  #end<T>(label: string, start: { wall: number; cpu: number }, outcome: Outcome<T, E>): Outcome<T, E> {
    const cpu = cpuTimeMs() - start.cpu;
    const wall = performance.now() - start.wall;
    if (cpu > this.budget.cpuMs || wall > this.budget.wallMs) {
      this.overBudget++;
      const took = `took ${cpu.toFixed(0)} ms of CPU, ${wall.toFixed(0)} ms of wall-clock time`;
      this.#sample(`${label}: ${took}`);
      throw new Error(
        `${label}: ${took}, over the budget of ${this.budget.cpuMs} ms CPU and ${this.budget.wallMs} ms wall`,
      );
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

/**
 * Makes the caller's typed error for a fault in JSON text: what is wrong, the character offset it
 * was found at, and the top-level key being read when there is one.
 */
export type JsonFail = (message: string, offset: number, key?: string) => Error;

/** Options of {@link JsonReader} and {@link readJsonMembers}. */
export interface JsonReaderOptions {
  /** Builds the error thrown for bad or too deeply nested JSON. */
  readonly fail: JsonFail;
  /** Arrays and objects open at once, counting every level; deeper text is refused. Default 64. */
  readonly maxDepth?: number;
}

/** One value's JSON text, as {@link JsonReader.valueText} skips it. */
export interface JsonValueText {
  /** The value exactly as written (a slice of the document). */
  readonly text: string;
  /** How many values it holds, itself included: `[[], 1]` holds 3. What parsing it would build. */
  readonly values: number;
}

/** The default nesting limit: real configs and headers nest two or three levels. */
export const DEFAULT_JSON_MAX_DEPTH = 64;

/** Kinds of values as a message names them. */
const KIND_NAMES = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  true: 'a boolean',
  false: 'a boolean',
  null: 'null',
} as const;

const OBJECT = 1;
const ARRAY = 2;

// Character codes.
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** After a backslash in a string: the characters JSON allows (`u` is checked for 4 hex digits). */
const ESCAPES = new Set([...'"\\/bfnrtu'].map((c) => c.charCodeAt(0)));

/**
 * A pull reader over JSON text (RFC 8259), for files that may be hostile: the caller asks for the
 * shape it expects (an object, a string, a number) and skips what it does not use. Skipped values
 * are checked but never built, so a file's cost is one linear pass however it is shaped: millions
 * of empty arrays under an unknown key cost a scan, not millions of allocations. Nesting deeper
 * than `maxDepth` is refused, so nothing built from the text later (JSON.parse of a slice, a
 * recursive copy, JSON.stringify) can overflow the stack.
 *
 * Every fault throws the caller's error from `fail`, with the offset it was found at.
 *
 * @example
 * const reader = new JsonReader('{"dtype": "F32", "junk": [[], []]}', { fail: (m, at) => new Error(`${m} at ${at}`) });
 * reader.readObject((key) => { if (key === 'dtype') console.log(reader.readString()); }); // "F32"; junk is skipped
 * reader.end();
 */
export class JsonReader {
  readonly #text: string;
  readonly #fail: JsonFail;
  readonly #maxDepth: number;
  #pos = 0;
  /** Containers the structured reads (readObject, readArray) have open. */
  #depth = 0;
  /** The top-level key being read, for messages. */
  #key: string | undefined;

  constructor(text: string, options: JsonReaderOptions) {
    this.#text = text;
    this.#fail = options.fail;
    this.#maxDepth = options.maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  }

  /** The character offset of the next thing to read. */
  get offset(): number {
    return this.#pos;
  }

  /** The kind of the next value, without reading it. */
  peek(): 'object' | 'array' | 'string' | 'number' | 'true' | 'false' | 'null' {
    this.#space();
    const c = this.#text.charCodeAt(this.#pos);
    if (c === OPEN_BRACE) return 'object';
    if (c === OPEN_BRACKET) return 'array';
    if (c === QUOTE) return 'string';
    if (c === MINUS || (c >= ZERO && c <= NINE)) return 'number';
    for (const word of ['true', 'false', 'null'] as const)
      if (this.#text.startsWith(word, this.#pos)) return word;
    throw this.#unexpected('a JSON value');
  }

  /**
   * Reads an object, calling `onMember` with each key (in order, repeats included) when the
   * reader stands at its value. `onMember` reads the value with one of the read methods; a value
   * it leaves unread is skipped.
   */
  readObject(onMember: (key: string) => void): void {
    this.#space();
    this.#expect(OPEN_BRACE, 'an object');
    this.#enter();
    this.#space();
    if (this.#text.charCodeAt(this.#pos) === CLOSE_BRACE) {
      this.#pos++;
      this.#depth--;
      return;
    }
    for (;;) {
      this.#space();
      if (this.#text.charCodeAt(this.#pos) !== QUOTE) throw this.#unexpected('a key (a string)');
      const key = this.readString();
      this.#space();
      this.#expect(COLON, '":" after a key');
      const topLevel = this.#depth === 1;
      if (topLevel) this.#key = key;
      this.#space();
      const start = this.#pos;
      onMember(key);
      if (this.#pos === start) this.skipValue();
      if (topLevel) this.#key = undefined;
      this.#space();
      const c = this.#text.charCodeAt(this.#pos++);
      if (c === CLOSE_BRACE) break;
      if (c !== COMMA) {
        this.#pos--;
        throw this.#unexpected('"," or "}" in an object');
      }
    }
    this.#depth--;
  }

  /** Reads an array, calling `onItem` with each index when the reader stands at that item. */
  readArray(onItem: (index: number) => void): void {
    this.#space();
    this.#expect(OPEN_BRACKET, 'an array');
    this.#enter();
    this.#space();
    if (this.#text.charCodeAt(this.#pos) === CLOSE_BRACKET) {
      this.#pos++;
      this.#depth--;
      return;
    }
    for (let index = 0; ; index++) {
      this.#space();
      const start = this.#pos;
      onItem(index);
      if (this.#pos === start) this.skipValue();
      this.#space();
      const c = this.#text.charCodeAt(this.#pos++);
      if (c === CLOSE_BRACKET) break;
      if (c !== COMMA) {
        this.#pos--;
        throw this.#unexpected('"," or "]" in an array');
      }
    }
    this.#depth--;
  }

  /** Reads a string, escapes decoded. */
  readString(): string {
    this.#space();
    const start = this.#pos;
    const escaped = this.#skipString();
    const raw = this.#text.slice(start + 1, this.#pos - 1);
    return escaped ? (JSON.parse(this.#text.slice(start, this.#pos)) as string) : raw;
  }

  /** Reads a number (as JavaScript reads it: `1e999` is Infinity, `2e0` is 2). */
  readNumber(): number {
    this.#space();
    const start = this.#pos;
    this.#skipNumber();
    return Number(this.#text.slice(start, this.#pos));
  }

  /** Skips one value of any kind, checking it is valid JSON nested within the limit. */
  skipValue(): void {
    this.#skip();
  }

  /** Skips one value and returns its text and how many values it holds. */
  valueText(): JsonValueText {
    this.#space();
    const start = this.#pos;
    const values = this.#skip();
    return { text: this.#text.slice(start, this.#pos), values };
  }

  /** Checks that only whitespace follows. */
  end(): void {
    this.#space();
    if (this.#pos < this.#text.length) throw this.#unexpected('the end of the text');
  }

  /** Skips one value without recursion; returns how many values it held. */
  #skip(): number {
    const text = this.#text;
    // Bounded by maxDepth, so this small stack is all the memory a skip takes.
    const stack: number[] = [];
    let values = 0;
    for (;;) {
      // A value starts here.
      this.#space();
      values++;
      const c = text.charCodeAt(this.#pos);
      let opened = false;
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        this.#pos++;
        if (this.#depth + stack.length + 1 > this.#maxDepth) this.#tooDeep();
        this.#space();
        const close = c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
        if (text.charCodeAt(this.#pos) === close) {
          this.#pos++;
        } else {
          stack.push(c === OPEN_BRACE ? OBJECT : ARRAY);
          if (c === OPEN_BRACE) this.#skipKey();
          opened = true;
        }
      } else if (c === QUOTE) {
        this.#skipString();
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        this.#skipNumber();
      } else {
        this.#skipLiteral();
      }
      if (opened) continue;
      // After a value: close containers until one continues with a comma.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return values;
        this.#space();
        const next = text.charCodeAt(this.#pos);
        if (next === COMMA) {
          this.#pos++;
          if (top === OBJECT) this.#skipKey();
          break;
        }
        if ((top === OBJECT && next === CLOSE_BRACE) || (top === ARRAY && next === CLOSE_BRACKET)) {
          this.#pos++;
          stack.pop();
          continue;
        }
        throw this.#unexpected(top === OBJECT ? '"," or "}" in an object' : '"," or "]" in an array');
      }
    }
  }

  /** Skips `"key" :` inside an object. */
  #skipKey(): void {
    this.#space();
    if (this.#text.charCodeAt(this.#pos) !== QUOTE) throw this.#unexpected('a key (a string)');
    this.#skipString();
    this.#space();
    this.#expect(COLON, '":" after a key');
  }

  /** Skips a string starting at the reader's position; returns whether it holds escapes. */
  #skipString(): boolean {
    const text = this.#text;
    this.#expect(QUOTE, 'a string');
    let escaped = false;
    for (;;) {
      if (this.#pos >= text.length) throw this.#endsEarly('a string is not closed');
      const c = text.charCodeAt(this.#pos++);
      if (c === QUOTE) return escaped;
      if (c < SPACE) {
        this.#pos--;
        throw this.#unexpected('a string character (control characters must be escaped)');
      }
      if (c === BACKSLASH) {
        escaped = true;
        const e = text.charCodeAt(this.#pos);
        if (!ESCAPES.has(e)) throw this.#unexpected('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
        this.#pos++;
        if (e === 0x75 && !/^[0-9a-fA-F]{4}$/.test(text.slice(this.#pos, this.#pos + 4))) {
          throw this.#unexpected('four hex digits after \\u');
        }
        if (e === 0x75) this.#pos += 4;
      }
    }
  }

  /** Skips `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`. */
  #skipNumber(): void {
    const text = this.#text;
    if (text.charCodeAt(this.#pos) === MINUS) this.#pos++;
    const first = text.charCodeAt(this.#pos);
    if (first === ZERO) this.#pos++;
    else if (first > ZERO && first <= NINE) this.#digits();
    else throw this.#unexpected('a digit');
    if (text.charCodeAt(this.#pos) === DOT) {
      this.#pos++;
      if (!this.#digits()) throw this.#unexpected('a digit after "."');
    }
    const e = text.charCodeAt(this.#pos);
    if (e === 0x65 || e === 0x45) {
      this.#pos++;
      const sign = text.charCodeAt(this.#pos);
      if (sign === PLUS || sign === MINUS) this.#pos++;
      if (!this.#digits()) throw this.#unexpected('a digit in the exponent');
    }
  }

  #digits(): boolean {
    const start = this.#pos;
    for (
      let c = this.#text.charCodeAt(this.#pos);
      c >= ZERO && c <= NINE;
      c = this.#text.charCodeAt(this.#pos)
    )
      this.#pos++;
    return this.#pos > start;
  }

  #skipLiteral(): void {
    for (const word of ['true', 'false', 'null']) {
      if (this.#text.startsWith(word, this.#pos)) {
        this.#pos += word.length;
        return;
      }
    }
    throw this.#unexpected('a JSON value');
  }

  #space(): void {
    const text = this.#text;
    for (let c = text.charCodeAt(this.#pos); c === SPACE || c === LF || c === CR || c === TAB; ) {
      c = text.charCodeAt(++this.#pos);
    }
  }

  #expect(code: number, what: string): void {
    if (this.#text.charCodeAt(this.#pos) !== code) throw this.#unexpected(what);
    this.#pos++;
  }

  #enter(): void {
    if (++this.#depth > this.#maxDepth) {
      this.#pos--;
      this.#tooDeep();
    }
  }

  #tooDeep(): never {
    throw this.#fail(`arrays and objects nest more than ${this.#maxDepth} deep`, this.#pos - 1, this.#key);
  }

  #endsEarly(what: string): Error {
    return this.#fail(`the text ends early (${what})`, this.#pos, this.#key);
  }

  /** The fault at the reader's position: what was found (one character, quoted) and what was expected. */
  #unexpected(expected: string): Error {
    if (this.#pos >= this.#text.length) return this.#endsEarly(`expected ${expected}`);
    const found = JSON.stringify(String.fromCodePoint(this.#text.codePointAt(this.#pos) as number));
    return this.#fail(`expected ${expected}, found ${found}`, this.#pos, this.#key);
  }
}

/**
 * The top-level members of a JSON object, each value kept as its JSON text, in one linear pass
 * ({@link JsonReader}): the caller parses only the keys it uses and keeps the rest opaque. A key
 * written twice keeps its first place and its last value, as `JSON.parse` and Python's `json` do.
 * Anything but one object, or text nested deeper than `maxDepth`, throws the caller's error.
 *
 * @example
 * const members = readJsonMembers('{"n_embd": 64, "junk": [[]]}', { fail: (m) => new Error(m) });
 * JSON.parse(members.get('n_embd')!.text); // 64; "junk" stays text
 */
export function readJsonMembers(text: string, options: JsonReaderOptions): Map<string, JsonValueText> {
  const reader = new JsonReader(text, options);
  const kind = reader.peek();
  if (kind !== 'object')
    throw options.fail(`expected a JSON object, found ${KIND_NAMES[kind]}`, reader.offset);
  const members = new Map<string, JsonValueText>();
  reader.readObject((key) => {
    members.set(key, reader.valueText());
  });
  reader.end();
  return members;
}

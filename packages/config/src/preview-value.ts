/** Containers nested deeper than this are shown as `[...]` or `{...}`; it also bounds the recursion. */
const PREVIEW_DEPTH = 4;

/**
 * A short, JSON-like rendering of any value for an error message, at most `maxLength` characters.
 * Unlike `JSON.stringify` it never overflows the stack on deeply nested input, never walks a huge
 * array or string past what it shows, and never throws (cycles, getters that throw, revoked proxies).
 */
export function previewValue(value: unknown, maxLength = 80): string {
  let text: string;
  try {
    const out: string[] = [];
    // Stop one character past the limit: enough to know the text must be cut.
    write(value, 0, out, { left: maxLength + 1 });
    text = out.join('');
  } catch {
    text = `[${typeof value}]`;
  }
  return text.length > maxLength ? `${text.slice(0, Math.max(0, maxLength - 3))}...` : text;
}

interface Budget {
  left: number;
}

function emit(out: string[], budget: Budget, piece: string): void {
  out.push(piece);
  budget.left -= piece.length;
}

function write(value: unknown, depth: number, out: string[], budget: Budget): void {
  if (budget.left <= 0) return;
  switch (typeof value) {
    case 'string':
      // Cut before quoting so a 10 MB string costs no more than a short one.
      emit(out, budget, JSON.stringify(value.length > budget.left ? value.slice(0, budget.left) : value));
      return;
    case 'number':
      // JSON would print NaN and the infinities as null, hiding the very fault being reported.
      emit(out, budget, Number.isFinite(value) ? JSON.stringify(value) : String(value));
      return;
    case 'bigint':
      emit(out, budget, `${value}n`);
      return;
    case 'function':
      emit(out, budget, '[function]');
      return;
    case 'object':
      break;
    default:
      emit(out, budget, String(value));
      return;
  }
  if (value === null) {
    emit(out, budget, 'null');
    return;
  }
  const isList = Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
  if (depth >= PREVIEW_DEPTH) {
    emit(out, budget, isList ? '[...]' : '{...}');
    return;
  }
  if (isList) {
    const list = value as ArrayLike<unknown>;
    emit(out, budget, '[');
    for (let i = 0; i < list.length && budget.left > 0; i++) {
      if (i > 0) emit(out, budget, ',');
      write(list[i], depth + 1, out, budget);
    }
    emit(out, budget, ']');
    return;
  }
  const record = value as Record<string, unknown>;
  emit(out, budget, '{');
  let first = true;
  // for-in rather than Object.keys, so an object with millions of keys is not listed in full.
  for (const key in record) {
    if (budget.left <= 0) break;
    if (!Object.hasOwn(record, key)) continue;
    if (!first) emit(out, budget, ',');
    first = false;
    emit(out, budget, `${JSON.stringify(key.length > budget.left ? key.slice(0, budget.left) : key)}:`);
    write(record[key], depth + 1, out, budget);
  }
  emit(out, budget, '}');
}

import type { HostTensor } from '../backend/backend.js';

/** Rows of integers as an int64 [rows, cols] tensor (rows are already checked to be rectangular). */
export function int64Matrix(rows: readonly (readonly number[])[]): HostTensor {
  const cols = rows[0]?.length ?? 0;
  const data = new BigInt64Array(rows.length * cols);
  rows.forEach((row, r) => {
    for (let c = 0; c < cols; c++) data[r * cols + c] = BigInt(row[c] as number);
  });
  return { type: 'int64', dims: [rows.length, cols], data };
}

/** A float32 tensor of zeros (possibly with a 0-length axis, for an empty cache). */
export function float32Zeros(dims: readonly number[]): HostTensor {
  return { type: 'float32', dims: [...dims], data: new Float32Array(dims.reduce((a, b) => a * b, 1)) };
}

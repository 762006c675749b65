// Hostile bytes made without Node's built-ins, so the browser test page can make them too.

/**
 * The markers of a progressive JPEG of `width` × `height` with `scans` scans and no real image
 * data: enough for a header reader to count scans and read the size, never decodable. For tests of
 * limits that must refuse a file before any decoder sees it.
 */
export function jpegMarkersWithScans(width: number, height: number, scans: number): Uint8Array<ArrayBuffer> {
  // SOF2 (progressive): precision 8, height, width, one component (id 1, sampling 1x1, table 0).
  const frame = [0xff, 0xc2, 0, 11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0];
  // SOS: one component, DC table 0, spectral 0..0, no approximation; then entropy data with a
  // stuffed 0xFF00 and a restart marker, which do not end the scan.
  const scan = [0xff, 0xda, 0, 8, 1, 1, 0, 0, 0, 0, 0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56];
  const out = [0xff, 0xd8, ...frame];
  for (let i = 0; i < scans; i++) out.push(...scan);
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}

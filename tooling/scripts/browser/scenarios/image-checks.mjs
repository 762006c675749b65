// The image conversions in a real browser (canvas decoding, ImageData, PNG encoding): the page runs
// them and reports one result per conversion.

/** One check per image conversion the page tests. */
export async function imageChecksScenario({ page, checks }) {
  const results = await page.evaluate(() => window.igpt.imageChecks());
  for (const c of results) checks.check(`image io: ${c.name}`, c.pass, c.pass ? undefined : c.detail);
}

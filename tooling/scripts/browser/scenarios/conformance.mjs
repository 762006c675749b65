// The conformance suite of @imagegpt/heads in Chromium: every golden case (found from the data by
// the test kit), both weight formats, through @imagegpt/web; pending cases must still fail.

/** Runs the suite on the page for `cases` and `formats`; returns the reports. */
export function runInPage(page, cases, formats) {
  return page.evaluate(([c, f]) => window.igpt.conformance(c, f), [cases, formats]);
}

/** One check per conformance report, naming the first failed outputs. */
export function checkReports(checks, reports, label, cases) {
  const pending = new Set(cases.filter((c) => c.pending !== undefined).map((c) => c.name));
  for (const r of reports) {
    if (pending.has(r.case)) {
      // Pending (the test kit's PENDING list): it must still fail, or leave the pending list.
      checks.check(
        `${label} ${r.case} (${r.weights ?? 'processor'}) still fails (pending)`,
        !r.pass,
        r.error,
      );
      continue;
    }
    const failed = r.outputs
      .filter((o) => !o.pass)
      .map((o) => `${o.name}: ${o.note ?? `maxAbsErr ${o.maxAbsErr}, mismatches ${o.mismatches}`}`);
    checks.check(
      `${label} ${r.case} (${r.weights ?? 'processor'}) ${r.outputs.length - failed.length}/${r.outputs.length}`,
      r.pass,
      failed.slice(0, 3).join('; '),
    );
  }
}

/** The wasm run: every case, both formats, and a check that every case run was reported. */
export async function conformanceScenario({ page, checks, cases, report }) {
  const reports = await runInPage(
    page,
    cases.map((c) => c.name),
    ['safetensors', 'bin'],
  );
  report.conformance = reports;
  checkReports(checks, reports, 'conformance', cases);
  const expectedRuns = cases.reduce((n, c) => n + (c.kind === 'model' ? 2 : 1), 0);
  checks.check(
    `conformance covered ${reports.length} case runs`,
    reports.length === expectedRuns,
    `expected ${expectedRuns}`,
  );
}

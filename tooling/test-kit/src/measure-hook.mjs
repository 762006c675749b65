// Imported first (node --import) by runMeasured's child: as the process exits, writes its CPU time
// and peak resident memory to the file IGPT_MEASURE_REPORT names. Plain JavaScript so that Node
// runs it without a loader.
import { writeFileSync } from 'node:fs';

const report = process.env.IGPT_MEASURE_REPORT;
if (report !== undefined) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(
      report,
      JSON.stringify({
        cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
        // maxRSS is in kilobytes.
        peakRssBytes: usage.maxRSS * 1024,
      }),
    );
  });
}

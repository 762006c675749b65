// WebGPU: the same suite on onnxruntime-web's WebGPU execution provider. Our machines have no GPU;
// Chromium's SwiftShader adapter (a WebGPU implementation on the CPU) runs the real WebGPU code
// path: shaders, buffers, the provider's kernels. Speed on it means nothing.
import { openTestPage } from '../harness.mjs';
import { checkReports, runInPage } from './conformance.mjs';

/** Chromium flags that give it a WebGPU adapter on the CPU. */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

/** The model cases (safetensors), greedy tokens, and proof the WebGPU backend really started. */
export async function webgpuScenario({ context, origin, checks, node, report, cases }) {
  const { page, logs } = await openTestPage(
    context,
    origin,
    'threads=1&device=webgpu',
    'the WebGPU test page',
  );
  const device = await page.evaluate(() =>
    window.igpt.device().catch((e) => ({ device: 'none', error: String(e.message ?? e) })),
  );
  report.webgpu = { device };
  if (device.device !== 'webgpu') {
    // This Chromium gives no WebGPU adapter: say so plainly; the wasm checks still ran.
    console.log(`WebGPU checks skipped: no adapter in this Chromium (${device.error ?? device.device})`);
  } else {
    const reports = await runInPage(
      page,
      cases.filter((c) => c.kind === 'model').map((c) => c.name),
      ['safetensors'],
    );
    report.webgpu.conformance = reports;
    checkReports(checks, reports, `WebGPU (${device.adapter}) conformance`, cases);
    const greedy = await page.evaluate(() =>
      window.igpt.generate({ seed: 0, doSample: false, numReturnSequences: 1 }),
    );
    checks.tokens(
      'WebGPU greedy tokens equal Node (igpt-mnist-16, 256 tokens)',
      greedy.sequences,
      node.greedy.sequences,
    );
    report.timings.chromiumWebGpuSwiftShaderMsPerToken = greedy.msPerToken;
    // The KV cache stays on the GPU between steps: each step returns only its logits to JS.
    const traffic = await page.evaluate(() => window.igpt.decodeTraffic(32));
    report.webgpu.traffic = traffic;
    checks.check(
      'WebGPU: the KV cache stays on the GPU (no cache byte read back in 32 steps, only the logits)',
      traffic.cacheOnDevice &&
        traffic.bytesBack.length === 32 &&
        traffic.bytesBack.every((b) => b === traffic.logitBytes) &&
        traffic.deviceOutputs.every((n) => n > 0),
      `cacheOnDevice ${traffic.cacheOnDevice}, bytes back per step ${[...new Set(traffic.bytesBack)].join('/')} (logits ${traffic.logitBytes}), outputs kept on the GPU per step ${[...new Set(traffic.deviceOutputs)].join('/')}`,
    );
    const after = await page.evaluate(() => window.igpt.device());
    checks.check(
      "WebGPU: onnxruntime-web's WebGPU backend made a GPU device (no silent wasm fallback)",
      after.webgpuBackendStarted === true,
      JSON.stringify(after),
    );
  }
  report.webgpu.logs = logs.slice(0, 50);
}

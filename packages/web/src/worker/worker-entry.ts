// The worker script ImageGPTWorker starts by default: it serves @imagegpt/web's models to the page.
import { hostImageGPT, type WorkerScopeLike } from './worker-host.js';

hostImageGPT(self as unknown as WorkerScopeLike);

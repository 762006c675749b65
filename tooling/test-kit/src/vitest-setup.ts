import fc from 'fast-check';

// Property tests run with a fixed seed so CI is repeatable; set FC_SEED to explore other inputs
// (a failure prints its seed and counterexample either way).
const seed = Number(process.env.FC_SEED ?? 20261129);
fc.configureGlobal({ seed, ...fc.readConfigureGlobal() });

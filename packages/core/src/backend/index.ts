export type {
  BackendSession,
  BackendSessionOptions,
  HostTensor,
  HostTensorType,
  ImageGPTBackend,
  ModelArtifact,
} from './backend.js';

export type {
  BackendSession,
  BackendSessionOptions,
  HostTensor,
  HostTensorType,
  ImageGPTBackend,
  ModelArtifact,
} from './backend.js';
export { OrtSession, type OrtTensorClass } from './ort-session.js';

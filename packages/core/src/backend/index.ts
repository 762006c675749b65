export type {
  BackendSession,
  BackendSessionOptions,
  DeviceTensor,
  HostTensor,
  HostTensorType,
  ImageGPTBackend,
  ModelArtifact,
  SessionTensor,
} from './backend.js';
export { isDeviceTensor } from './backend.js';
export { OrtSession, type OrtTensorClass } from './ort-session.js';
